"""Validation Dice and training time of the default and the CPU quality configurations.

Usage: python benchmarks/accuracy.py [--configs default quality] [--params ingestion.soft_targets=true]
Each configuration runs from scratch in its own copy of the project, one `kedro run` per
pipeline as `dvc repro` does: generate its synthetic data, ingest, train, evaluate at full
resolution (and, for the default, submit). Takes about 3 + 14 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import records  # noqa: E402  (benchmarks/records.py)
from kedro_project import make_project  # noqa: E402  (the scratch-project helper the tests use)

# The environment each configuration runs in: `kedro run --env NAME`.
CONFIGS = {"default": "local", "quality": "quality"}
PIPELINES = {
    "default": ("generate", "ingestion", "augmentation", "training", "evaluation", "submission"),
    "quality": ("generate", "ingestion", "augmentation", "training", "evaluation"),
}


def kedro_run(project: Path, env: str, pipeline: str, params: dict[str, object] | None = None) -> float:
    """One `kedro run` in its own process; returns its wall time in seconds, exits with its output on failure."""
    kedro = Path(sys.executable).with_name("kedro")
    command = [str(kedro), "run", "--env", env, "--pipelines", pipeline]
    if params:
        command += ["--params", ",".join(f"{k}={v}" for k, v in params.items())]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=project, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(command[1:])} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return time.perf_counter() - start


def scratch_project(folder: Path, name: str) -> Path:
    """A copy of the project's config for configuration `name` (its Kedro environment included)."""
    project = make_project(folder / name)
    if CONFIGS[name] != "local":
        shutil.copytree(ROOT / "conf" / CONFIGS[name], project / "conf" / CONFIGS[name])
    return project


def run_config(project: Path, name: str, params: dict[str, object] | None = None) -> dict[str, float]:
    seconds = {}
    for pipeline in PIPELINES[name]:
        seconds[pipeline] = kedro_run(project, CONFIGS[name], pipeline, params)
        print(f"  {name:>8} {pipeline:<12} {seconds[pipeline]:6.0f} s", flush=True)
    return seconds


def thin_dice(metrics: dict, name: str) -> float | None:
    """Dice on thin parts (antennas, mirror arms, rails) as evaluation reports it; None where there are none."""
    return metrics.get(f"{name}_mean", metrics.get("dice_thin_mean"))  # refinement off: the U-Net is all


def shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["default", "quality"])
    parser.add_argument("--workdir", type=Path, help="keep the scratch projects (and their models) here")
    parser.add_argument("--params", default="", help="kedro --params for every run, e.g. ingestion.soft_targets=true")
    args = parser.parse_args()
    params = dict(item.split("=", 1) for item in filter(None, args.params.split(",")))
    os.environ.update(KEDRO_DISABLE_TELEMETRY="true", NO_ALBUMENTATIONS_UPDATE="1", TF_CPP_MIN_LOG_LEVEL="2")

    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.configs:
            project = scratch_project(args.workdir or Path(scratch), name)
            seconds = run_config(project, name, params)
            metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
            history = (project / "data/08_reporting/training_history.csv").read_text().strip().splitlines()
            results[name] = (metrics, seconds, len(history) - 1)

    print(f"\n{os.cpu_count()} CPUs; Dice is the mean over validation images at full resolution; {args.params}")
    print("(U-Net alone: before the full-resolution refiner; training includes the refiner's crops and fit;")
    print(" thin parts: Dice on the parts narrower than evaluation.thin_part_width, refined/U-Net alone)")
    print(
        f"{'config':>8} {'Dice mean':>9} {'min':>6} {'U-Net alone':>11} {'thin parts':>13} {'ceiling':>15} "
        f"{'images':>6} {'epochs':>6} "
        f"{'training':>9} {'end to end':>10}"
    )
    for name, (metrics, seconds, epochs) in results.items():
        ceilings = f"{metrics['ceiling_hard_mean']:.4f}/{metrics['ceiling_soft_mean']:.4f}"  # thresholded/coverage
        coarse = metrics.get("dice_coarse_mean", metrics["dice_mean"])  # refinement off: the U-Net is all
        thin = f"{shown(thin_dice(metrics, 'dice_thin'))}/{shown(thin_dice(metrics, 'dice_thin_coarse'))}"
        print(
            f"{name:>8} {metrics['dice_mean']:9.4f} {metrics['dice_min']:6.4f} {coarse:11.4f} {thin:>13} "
            f"{ceilings:>15} "
            f"{metrics['images']:6d} {epochs:6d} {seconds['training'] / 60:7.1f} m {sum(seconds.values()) / 60:8.1f} m"
        )
        figures = {key: metrics[key] for key in ("dice_mean", "dice_min", "ceiling_hard_mean", "ceiling_soft_mean")}
        figures |= {"unet_alone": coarse, "thin": thin_dice(metrics, "dice_thin"), "epochs": epochs}
        figures |= {"training_min": seconds["training"] / 60, "end_to_end_min": sum(seconds.values()) / 60}
        records.write("accuracy", figures, {"configuration": name, "params": params})


if __name__ == "__main__":
    main()
