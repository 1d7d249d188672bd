"""Submission throughput: the whole streaming submission vs bare `model.predict` on the same images.

Usage: python benchmarks/submission.py [--model data/06_models/unet.keras --images 64 --batch-size 8]
The model is the one `make run` trained (its input size is read from it). Both figures come from the
same process on the same full-size synthetic test images, so their ratio holds on a noisy machine.
Also prints the post-processing time per full-size mask and the projection for Kaggle's test set.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

import carvana_unet.model.losses  # noqa: E402,F401  (registers the loss for loading)
from carvana_unet import imaging, rle, synthetic  # noqa: E402
from carvana_unet.pipelines.ingestion.params import IngestionParams  # noqa: E402
from carvana_unet.pipelines.submission.nodes import make_submission  # noqa: E402
from carvana_unet.pipelines.submission.params import SubmissionParams  # noqa: E402
from carvana_unet.submission import write_submission  # noqa: E402

KAGGLE_TEST_IMAGES = 100_064


def write_test_images(folder: Path, count: int, width: int, height: int) -> list[Path]:
    data = synthetic.make_dataset(1, max(1, -(-count // synthetic.ANGLES)), width, height, seed=5)
    ids = data.image_ids(data.test_cars)[:count]
    (folder / "test").mkdir()
    for image_id in ids:
        synthetic.write_image(data, image_id, folder, "test")
    return [folder / "test" / f"{image_id}.jpg" for image_id in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=Path("data/06_models/unet.keras"))
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--width", type=int, default=1918)
    parser.add_argument("--height", type=int, default=1280)
    args = parser.parse_args()
    if not args.model.exists():
        raise SystemExit(f"{args.model} not found: run `make run` first, or pass --model PATH to a trained .keras file")
    model = keras.saving.load_model(args.model, compile=False)
    input_h, input_w = model.input_shape[1:3]

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        paths = write_test_images(scratch, args.images, args.width, args.height)
        names = [p.name for p in paths]
        loaders = {p.stem: partial(Image.open, p) for p in paths}
        options = SubmissionParams(batch_size=args.batch_size, workers=args.workers)
        ingestion = IngestionParams(aspect="stretch")

        def end_to_end() -> float:
            rows = make_submission(model, loaders, pd.DataFrame({"img": names}), {"threshold": 0.5}, ingestion, options)
            start = time.perf_counter()
            write_submission(scratch / "submission.csv", rows, resume=False)
            return len(names) / (time.perf_counter() - start)

        resized = (
            np.stack(
                [imaging.decode_to_model_size(Image.open(p), input_h, input_w, "stretch")[0] for p in paths]
            ).astype(np.float32)
            / 255
        )

        def bare_predict() -> float:
            start = time.perf_counter()
            model.predict(resized, batch_size=args.batch_size, verbose=0)
            return len(paths) / (time.perf_counter() - start)

        bare_predict(), end_to_end()  # warm-up: the first calls trace the model
        # Alternate the two and keep each one's best round: on a shared machine, noise only slows.
        rounds = [(bare_predict(), end_to_end()) for _ in range(args.rounds)]
        bare, full = max(r[0] for r in rounds), max(r[1] for r in rounds)
        probabilities = model.predict(resized[: args.batch_size], batch_size=args.batch_size, verbose=0)[..., 0]
        start = time.perf_counter()
        for p in probabilities:
            rle.encode(imaging.to_original_size(p, args.height, args.width, "stretch") > 0.5)
        post_ms = 1000 * (time.perf_counter() - start) / len(probabilities)

    print(
        f"{len(paths)} test images {args.width}x{args.height}, model input {input_w}x{input_h}, "
        f"best of {args.rounds} rounds, batch {args.batch_size}, {args.workers} worker threads, {os.cpu_count()} CPUs"
    )
    print(f"  bare model.predict on pre-resized tensors : {bare:7.2f} img/s")
    print(f"  end-to-end submission (read JPEG, resize, predict, upscale, threshold, RLE, write): {full:7.2f} img/s")
    print(f"  end-to-end / bare predict = {full / bare:.2f}  (target >= 0.7)")
    print(f"  post-processing per full-size mask (upscale + threshold + RLE, one thread): {post_ms:.1f} ms")
    hours = KAGGLE_TEST_IMAGES / full / 3600
    print(f"  projected time for Kaggle's {KAGGLE_TEST_IMAGES:,} test images at this rate: {hours:.1f} h")


if __name__ == "__main__":
    main()
