"""Validation Dice over seeds: how much a figure moves when only the seeds change.

Usage: python benchmarks/seeds.py [--configs default quality] [--training-seeds 5] [--split-seeds 2]
                                  [--quality-seeds 3] [--params ingestion.soft_targets=true]
Each configuration gets its synthetic data once; then, per split seed (which cars are held out),
ingestion and augmentation; then, per training seed (weights, shuffle, augmentation draws),
training (the U-Net and the refiner) and full-resolution evaluation, each a `kedro run` as `dvc repro` runs it.
Training is deterministic, so each row is what any rerun with those seeds gives on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

import records
from accuracy import CONFIGS, kedro_run, scratch_project, shown, thin_dice


def run_seeds(
    project: Path, name: str, split_seeds: list[int], training_seeds: list[int], params: dict[str, str]
) -> list[dict]:
    env = CONFIGS[name]
    kedro_run(project, env, "generate")
    rows = []
    for split_seed in split_seeds:
        for pipeline in ("ingestion", "augmentation"):
            kedro_run(project, env, pipeline, {**params, "ingestion.split_seed": split_seed})
        for seed in training_seeds:
            # The seed draws the U-Net's and the refiner's weights, orders and augmentations alike.
            seconds = kedro_run(project, env, "training", {**params, "training.seed": seed, "refinement.seed": seed})
            kedro_run(project, env, "evaluation")
            metrics = json.loads((project / "data/08_reporting/metrics.json").read_text())
            rows.append(
                {
                    "config": name,
                    "split_seed": split_seed,
                    "training_seed": seed,
                    "dice_mean": metrics["dice_mean"],
                    "dice_min": metrics["dice_min"],
                    "unet_alone": metrics.get("dice_coarse_mean", metrics["dice_mean"]),  # refinement off: the same
                    "thin": thin_dice(metrics, "dice_thin"),
                    "thin_unet_alone": thin_dice(metrics, "dice_thin_coarse"),
                    "training_min": seconds / 60,
                }
            )
            print(
                f"  {name:>8} split {split_seed:>3} seed {seed:>3}: Dice {metrics['dice_mean']:.4f} "
                f"(min {metrics['dice_min']:.4f}; U-Net alone {rows[-1]['unet_alone']:.4f}; thin parts "
                f"{shown(rows[-1]['thin'])}, U-Net alone {shown(rows[-1]['thin_unet_alone'])}), "
                f"training {seconds / 60:.1f} min",
                flush=True,
            )
    return rows


def _mean(rows: list[dict], column: str) -> float | None:
    values = [r[column] for r in rows if r[column] is not None]
    return statistics.mean(values) if values else None


def distribution(rows: list[dict]) -> dict[str, float | None]:
    """What the results table shows of a configuration: Dice over runs, its worst image, thin parts, time."""
    means = [r["dice_mean"] for r in rows]
    return {
        "dice_mean": statistics.mean(means),
        "dice_std": statistics.stdev(means) if len(means) > 1 else 0.0,
        "dice_lowest_run": min(means),
        "dice_worst_image": min(r["dice_min"] for r in rows),
        "unet_alone_mean": statistics.mean(r["unet_alone"] for r in rows),
        "thin_mean": _mean(rows, "thin"),
        "training_min_mean": statistics.mean(r["training_min"] for r in rows),
    }


def summary(rows: list[dict]) -> str:
    d = distribution(rows)
    return (
        f"{rows[0]['config']:>8}: {len(rows)} runs, mean Dice {d['dice_mean']:.4f} +- {d['dice_std']:.4f}, "
        f"lowest run {d['dice_lowest_run']:.4f}, highest {max(r['dice_mean'] for r in rows):.4f}, "
        f"worst image {d['dice_worst_image']:.4f}, U-Net alone {d['unet_alone_mean']:.4f}, "
        f"thin parts {shown(d['thin_mean'])} (U-Net alone {shown(_mean(rows, 'thin_unet_alone'))}), "
        f"training {d['training_min_mean']:.1f} min a run"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=["default", "quality"])
    parser.add_argument("--training-seeds", type=int, default=5, help="default configuration")
    parser.add_argument("--split-seeds", type=int, default=2, help="default configuration")
    parser.add_argument("--quality-seeds", type=int, default=3, help="quality configuration, one split")
    parser.add_argument("--params", default="", help="kedro --params for every run, e.g. ingestion.soft_targets=true")
    args = parser.parse_args()
    params = dict(item.split("=", 1) for item in filter(None, args.params.split(",")))
    os.environ.update(KEDRO_DISABLE_TELEMETRY="true", NO_ALBUMENTATIONS_UPDATE="1", TF_CPP_MIN_LOG_LEVEL="2")
    plans = {
        "default": (list(range(42, 42 + args.split_seeds)), list(range(7, 7 + args.training_seeds))),
        "quality": ([42], list(range(7, 7 + args.quality_seeds))),
    }
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.configs:
            results[name] = run_seeds(scratch_project(Path(scratch), name), name, *plans[name], params)
    print(f"\n{os.cpu_count()} CPUs; Dice: mean over validation images at full resolution, per run; {args.params}")
    print("| config | split seed | training seed | Dice mean | Dice min | U-Net alone | training |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for rows in results.values():
        for r in rows:
            print(
                f"| {r['config']} | {r['split_seed']} | {r['training_seed']} | {r['dice_mean']:.4f} | "
                f"{r['dice_min']:.4f} | {r['unet_alone']:.4f} | {r['training_min']:.1f} min |"
            )
    for name, rows in results.items():
        print(summary(rows))
        records.write("seeds", {"runs": rows, **distribution(rows)}, {"configuration": name, "params": params})


if __name__ == "__main__":
    main()
