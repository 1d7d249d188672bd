"""Memory and time per image of ingestion, refinement crops and submission at two dataset sizes.

Usage: python benchmarks/scale.py [--sizes 200 800 --model data/06_models/unet.keras
                                   --refiner data/06_models/refiner.keras]
Each (pipeline, size) runs through Kedro in a fresh process that reports its own peak RSS,
on full-size synthetic images in Kaggle's layout. Streaming work should need the same memory
for 800 images as for 200 (target: within 15 %) and the same time per image.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")

import pandas as pd  # noqa: E402

from carvana_unet import synthetic  # noqa: E402
from carvana_unet.layout import image_id_to_mask_key  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import records  # noqa: E402  (benchmarks/records.py)
from kedro_project import make_project  # noqa: E402  (the scratch-project helper the tests use)


def draw_pool(pool: Path, count: int, width: int, height: int) -> list[str]:
    """`count` full-size train pairs (whole cars) rendered on every core."""
    data = synthetic.make_dataset(-(-count // synthetic.ANGLES), 1, width, height, seed=9)
    ids = data.image_ids(data.train_cars)[:count]
    synthetic.write_images(data, ids, pool, "train")  # a car per process, on every core
    data.metadata().to_csv(pool / "metadata.csv", index=False)
    return ids


def raw_folder(pool: Path, ids: list[str], dest: Path) -> Path:
    """Kaggle's layout for the first images of the pool, hard-linked; the test folder reuses the train photos."""
    for folder in ("train", "train_masks", "test"):
        (dest / folder).mkdir(parents=True)
    for image_id in ids:
        os.link(pool / "train" / f"{image_id}.jpg", dest / "train" / f"{image_id}.jpg")
        os.link(pool / "train" / f"{image_id}.jpg", dest / "test" / f"{image_id}.jpg")
        mask = f"{image_id_to_mask_key(image_id)}.gif"
        os.link(pool / "train_masks" / mask, dest / "train_masks" / mask)
    shutil.copy(pool / "metadata.csv", dest)
    pd.DataFrame({"img": [f"{i}.jpg" for i in ids], "rle_mask": "1 1"}).to_csv(
        dest / "sample_submission.csv", index=False
    )
    return dest


# What is measured: (label, pipeline, the nodes of it that run; None: all). The crops are the
# training pipeline's full-size step; the submission refines every image (the default).
STEPS = (
    ("ingestion", "ingestion", None),
    ("refinement crops", "training", ["collect_refinement_crops"]),
    ("submission", "submission", None),
)


def _run_pipeline(project: Path, pipeline: str, nodes: list[str] | None, raw_dir: Path, report) -> None:
    """In a fresh process: one `kedro run` equivalent; reports seconds and peak RSS."""
    # Imported here, in the child, so the parent's memory is not counted in the child's peak.
    from kedro.framework.project import pipelines  # noqa: PLC0415
    from kedro.framework.session import KedroSession  # noqa: PLC0415
    from kedro.framework.startup import bootstrap_project  # noqa: PLC0415

    os.chdir(project)
    bootstrap_project(project)
    pipelines[pipeline]  # import the nodes (and TensorFlow) before the clock starts
    with KedroSession.create(project_path=project, runtime_params={"raw_dir": str(raw_dir)}) as session:
        start = time.perf_counter()
        session.run(pipeline_name=pipeline, node_names=nodes)
        seconds = time.perf_counter() - start
    report.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(project: Path, pipeline: str, nodes: list[str] | None, raw_dir: Path) -> tuple[float, float]:
    context = multiprocessing.get_context("spawn")
    report = context.Queue()
    child = context.Process(target=_run_pipeline, args=(project, pipeline, nodes, raw_dir, report))
    child.start()
    child.join()
    if child.exitcode:
        raise SystemExit(f"kedro pipeline {pipeline} failed on {raw_dir} (exit {child.exitcode})")
    return report.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs=2, default=[200, 800])
    parser.add_argument("--model", type=Path, default=ROOT / "data/06_models/unet.keras")
    parser.add_argument("--refiner", type=Path, default=ROOT / "data/06_models/refiner.keras")
    parser.add_argument("--width", type=int, default=1918)
    parser.add_argument("--height", type=int, default=1280)
    args = parser.parse_args()
    for path in (args.model, args.refiner):
        if not path.exists():
            raise SystemExit(f"{path} not found: run `make run` first, or pass --model/--refiner PATH to .keras files")

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        ids = draw_pool(scratch / "pool", max(args.sizes), args.width, args.height)
        project = make_project(scratch / "project")
        (project / "data/06_models").mkdir(parents=True)
        shutil.copy(args.model, project / "data/06_models/unet.keras")
        shutil.copy(args.refiner, project / "data/06_models/refiner.keras")
        (project / "data/07_model_output").mkdir(parents=True)
        (project / "data/07_model_output/threshold.json").write_text(json.dumps({"threshold": 0.5}))
        figures = {}
        for size in sorted(args.sizes):
            raw = raw_folder(scratch / "pool", ids[:size], scratch / f"raw-{size}")
            for label, pipeline, nodes in STEPS:
                seconds, peak_mb = measure(project, pipeline, nodes, raw)
                figures[label, size] = (seconds, peak_mb)
                print(
                    f"{label:>16} {size:5d} images: {peak_mb:7.0f} MB peak RSS, {1000 * seconds / size:6.1f} ms/img",
                    flush=True,
                )

    small, large = sorted(args.sizes)
    print(
        f"\n{args.width}x{args.height} images, {os.cpu_count()} CPUs; ratios {large} vs {small} images "
        "(target: memory within 1.15):"
    )
    for label, _, _ in STEPS:
        (t_small, m_small), (t_large, m_large) = figures[label, small], figures[label, large]
        time_ratio = (t_large / large) / (t_small / small)
        print(f"  {label:>16}: peak RSS x{m_large / m_small:.2f}, time per image x{time_ratio:.2f}")
    ratios = {}
    for label, _, _ in STEPS:
        (t_small, m_small), (t_large, m_large) = figures[label, small], figures[label, large]
        ratios[f"{label} memory ratio"] = m_large / m_small
        ratios[f"{label} ms per image"] = 1000 * t_large / large
    records.write("scale", ratios, {"sizes": [small, large], "size": f"{args.width}x{args.height}"})


if __name__ == "__main__":
    main()
