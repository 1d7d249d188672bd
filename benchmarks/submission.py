"""Submission throughput: the whole streaming submission vs the bare model on the same images.

Usage: python benchmarks/submission.py [--model data/06_models/unet.keras --refiner data/06_models/refiner.keras
                                       --images 64 --batch-size 8]
The models are the ones `make run` trained (the input size is read from the U-Net). All figures come
from the same process on the same full-size synthetic test images, so their ratios hold on a noisy
machine: the submission with the full-resolution refiner (conf/base/parameters_refinement.yml's
settings) and without it, each against the bare model: `model.predict` or a `predict_on_batch` loop on
pre-resized tensors, whichever ran faster (benchmarks/timing.py says why), and against the model reading its
own JPEGs (decoded straight to its input in the same worker threads), which no pipeline can beat on any CPU:
that ratio is what the submission adds to reading and predicting. Also prints the
post-processing time per full-size mask and the projections for Kaggle's test set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

import carvana_unet.model.losses  # noqa: E402,F401  (registers the loss for loading)
from carvana_unet import imaging, rle, synthetic  # noqa: E402
from carvana_unet.pipelines.ingestion.params import IngestionParams  # noqa: E402
from carvana_unet.pipelines.submission.nodes import make_submission  # noqa: E402
from carvana_unet.pipelines.submission.params import SubmissionParams  # noqa: E402
from carvana_unet.pipelines.training.params import RefinementParams  # noqa: E402
from carvana_unet.submission import write_submission  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import records  # noqa: E402  (benchmarks/records.py)
from kedro_project import raw_folder  # noqa: E402  (the tests' reader of the catalog's raw folders)
from timing import alternating, bare_model, baseline, print_bare, print_reading, reading_model, timed  # noqa: E402  (benchmarks/timing.py)

KAGGLE_TEST_IMAGES = 100_064


def write_test_images(folder: Path, count: int, width: int, height: int) -> list[Path]:
    data = synthetic.make_dataset(1, max(1, -(-count // synthetic.ANGLES)), width, height, seed=5)
    ids = data.image_ids(data.test_cars)[:count]
    synthetic.write_images(data, ids, folder, "test")
    return [folder / "test" / f"{image_id}.jpg" for image_id in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("data/06_models/unet.keras"))
    parser.add_argument("--refiner", type=Path, default=Path("data/06_models/refiner.keras"))
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--width", type=int, default=1918)
    parser.add_argument("--height", type=int, default=1280)
    args = parser.parse_args()
    for path in (args.model, args.refiner):
        if not path.exists():
            raise SystemExit(f"{path} not found: run `make run` first, or pass --model/--refiner PATH to .keras files")
    model = keras.saving.load_model(args.model, compile=False)
    refiner = keras.saving.load_model(args.refiner, compile=False)
    settings = yaml.safe_load(Path("conf/base/parameters_refinement.yml").read_text())["refinement"]
    input_h, input_w = model.input_shape[1:3]

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        paths = write_test_images(scratch, args.images, args.width, args.height)
        names = [p.name for p in paths]
        # The catalog's own loaders, so that the photos are read exactly as `kedro run` reads them.
        loaders = raw_folder("raw_test_images", scratch / "test", ".jpg").load()
        options = SubmissionParams(batch_size=args.batch_size, workers=args.workers)
        ingestion = IngestionParams(aspect="stretch")

        def end_to_end(refined: bool) -> float:
            refinement = RefinementParams(**{**settings, "enabled": refined})
            sample = pd.DataFrame({"img": names})
            rows = make_submission(model, refiner, loaders, sample, {"threshold": 0.5}, ingestion, refinement, options)
            return timed(lambda: write_submission(scratch / "submission.csv", rows, resume=False), len(names))

        inputs = [imaging.decode_to_model_size(loaders[p.stem](), input_h, input_w, "stretch")[0] for p in paths]
        resized = np.stack(inputs).astype(np.float32) / 255

        jpegs = [p.read_bytes() for p in paths]
        keras_predict, predict_loop, reading, (plain, plain_cpu), (refined, refined_cpu) = alternating(
            [
                *bare_model(model, resized, args.batch_size),
                reading_model(model, jpegs, args.batch_size, args.workers),
                lambda: end_to_end(False),
                lambda: end_to_end(True),
            ],
            args.rounds,
        )
        bare, bare_cpu = baseline(keras_predict, predict_loop)
        probabilities = model.predict(resized[: args.batch_size], batch_size=args.batch_size, verbose=0)[..., 0]
        start = time.perf_counter()
        for p in probabilities:
            rle.encode(imaging.to_original_size(p, args.height, args.width, "stretch") > 0.5)
        post_ms = 1000 * (time.perf_counter() - start) / len(probabilities)

    print(
        f"{len(paths)} test images {args.width}x{args.height}, model input {input_w}x{input_h}, "
        f"best of {args.rounds} rounds, batch {args.batch_size}, {args.workers} worker threads, {os.cpu_count()} CPUs"
    )
    print_bare(keras_predict, predict_loop)
    print_reading(reading)
    print("  end-to-end submission (read JPEG, resize, predict, upscale, [refine,] threshold, RLE, write):")
    for label, rate, cpu, target in (
        ("U-Net alone", plain, plain_cpu, 0.7),
        ("with the refiner", refined, refined_cpu, 0.5),
    ):
        print(
            f"    {label:<16}: {rate:7.2f} img/s = {rate / bare:.2f} of bare (target >= {target}); "
            f"CPU {cpu:5.1f} ms a photo, bare's share {bare_cpu / cpu:.2f}; "
            f"{rate / reading[0]:.2f} of the reading model"
        )
    print(f"  post-processing per full-size mask (upscale + threshold + RLE, one thread): {post_ms:.1f} ms")
    for label, rate in (("U-Net alone", plain), ("with the refiner", refined)):
        hours = KAGGLE_TEST_IMAGES / rate / 3600
        print(f"  projected time for Kaggle's {KAGGLE_TEST_IMAGES:,} test images, {label}: {hours:.1f} h")
    records.write(
        "submission",
        {
            "bare_img_s": bare,
            "reading_img_s": reading[0],
            "unet_img_s": plain,
            "unet_of_bare": plain / bare,
            "unet_cpu_ms": plain_cpu,
            "refined_img_s": refined,
            "refined_of_bare": refined / bare,
            "refined_cpu_ms": refined_cpu,
            "post_ms": post_ms,
            "kaggle_hours_refined": KAGGLE_TEST_IMAGES / refined / 3600,
        },
        {"images": len(names), "size": f"{args.width}x{args.height}", "batch_size": args.batch_size},
    )


if __name__ == "__main__":
    main()
