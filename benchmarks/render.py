"""Render the docs' figure tables from benchmarks/results/*.json, between marker comments.

Usage: python benchmarks/render.py [--check]
README.md gets one row per configuration (its latest `seeds.py` record); benchmarks/README.md one
table per benchmark script, a row per record. --check writes nothing and fails when a table differs
from what the records render (the test suite runs it), so the docs cannot drift from the measurements.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import records

ROOT = Path(__file__).resolve().parents[1]
Record = dict[str, Any]
Column = tuple[str, Callable[[Record], str]]


def number(key: str, digits: int = 4) -> Callable[[Record], str]:
    def shown(record: Record) -> str:
        value = record["figures"].get(key)
        return "-" if value is None else f"{value:.{digits}f}"

    return shown


def pair(first: str, second: str, digits: int) -> Callable[[Record], str]:
    return lambda record: f"{number(first, digits)(record)} / {number(second, digits)(record)}"


def setting(key: str) -> Callable[[Record], str]:
    return lambda record: str(record["config"].get(key, "-"))


WHERE: list[Column] = [
    ("CPU", lambda r: r["cpu"]),
    ("load", lambda r: "-" if r.get("load_average") is None else f"{r['load_average']:.1f}"),
    ("commit", lambda r: f"`{r['git_commit']}`"),
    ("date", lambda r: r["date"]),
]

SEEDS: list[Column] = [
    ("configuration", setting("configuration")),
    ("runs", lambda r: str(len(r["figures"]["runs"]))),
    ("Dice, mean +- std", lambda r: f"{r['figures']['dice_mean']:.4f} +- {r['figures']['dice_std']:.4f}"),
    ("lowest run", number("dice_lowest_run")),
    ("worst image", number("dice_worst_image")),
    ("U-Net alone", number("unet_alone_mean")),
    ("thin parts", number("thin_mean", 3)),
    ("training, min a run", number("training_min_mean", 1)),
]

# Per script: the columns of its table in benchmarks/README.md.
TABLES: dict[str, list[Column]] = {
    "seeds": SEEDS + [("params", setting("params"))],
    "accuracy": [
        ("configuration", setting("configuration")),
        ("Dice", number("dice_mean")),
        ("min", number("dice_min")),
        ("U-Net alone", number("unet_alone")),
        ("thin parts", number("thin", 3)),
        ("ceilings (hard / soft)", pair("ceiling_hard_mean", "ceiling_soft_mean", 4)),
        ("training, min", number("training_min", 1)),
        ("end to end, min", number("end_to_end_min", 1)),
    ],
    "submission": [
        ("images", setting("images")),
        ("bare model, img/s", number("bare_img_s", 1)),
        ("U-Net alone, of bare", number("unet_of_bare", 2)),
        ("with the refiner, img/s", number("refined_img_s", 1)),
        ("with the refiner, of bare", number("refined_of_bare", 2)),
        (
            "CPU ms a photo (U-Net / refined)",
            pair("unet_cpu_ms", "refined_cpu_ms", 1),
        ),
        ("Kaggle's test set, h", number("kaggle_hours_refined", 1)),
    ],
    "predict": [
        ("refiner", setting("refiner")),
        ("cut-outs", setting("cutouts")),
        ("predict, img/s", number("predict_img_s", 1)),
        ("of bare", number("predict_of_bare", 2)),
        ("CPU ms a photo", number("predict_cpu_ms", 1)),
        ("served p50 / p95, ms", pair("served_p50_ms", "served_p95_ms", 0)),
        ("served, requests/s", number("served_requests_s", 1)),
    ],
    "training": [
        ("preset, size", lambda r: f"{r['config']['preset']}, {r['config']['size']}"),
        ("in memory, img/s", number("in-memory, no augmentation", 1)),
        ("the pipeline, img/s", number("real pipeline (cache + on-the-fly augmentation)", 1)),
        ("of in memory", number("real_of_in_memory", 2)),
        ("deterministic / not", number("deterministic_of_not", 2)),
    ],
    "scale": [
        ("sizes", setting("sizes")),
        ("ingestion memory ratio", number("ingestion memory ratio", 2)),
        ("submission memory ratio", number("submission memory ratio", 2)),
    ],
    "refiner": [
        ("variant", setting("variant")),
        ("Dice", number("dice_mean")),
        ("min", number("dice_min")),
        ("thin parts", number("thin_mean", 3)),
        ("crops and fit, min", number("fit_min", 1)),
    ],
    "gpu": [
        (
            "preset, input, batch",
            lambda r: f"{r['config']['preset']}, {r['config']['size']}, {r['config']['batch_size']}",
        ),
        ("devices", lambda r: r["figures"].get("devices", "-")),
        ("train fp16, img/s", number("train mixed_float16", 1)),
        ("train fp32, img/s", number("train float32", 1)),
        ("predict fp16, img/s", number("predict mixed_float16", 1)),
    ],
}


def table(columns: list[Column], rows: list[Record]) -> str:
    if not rows:
        return "No record yet: run the script to write one."
    lines = ["| " + " | ".join(name for name, _ in columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(row) for _, cell in columns) + " |" for row in rows]
    return "\n".join(lines)


def results_table(all_records: list[Record]) -> str:
    """README's table: the latest seeds.py record of each configuration."""
    latest = {r["config"]["configuration"]: r for r in all_records if r["benchmark"] == "seeds"}
    return table(SEEDS + WHERE, [latest[name] for name in sorted(latest)])


def benchmark_table(all_records: list[Record], benchmark: str) -> str:
    """benchmarks/README.md's table for one script: every record, newest first."""
    rows = [r for r in all_records if r["benchmark"] == benchmark]
    return table(TABLES[benchmark] + WHERE, rows[::-1])


def filled(text: str, name: str, content: str) -> str:
    """`text` with what stands between <!-- name:begin --> and <!-- name:end --> replaced by `content`."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    pattern = re.compile(rf"{re.escape(begin)}.*?{re.escape(end)}", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"no {begin} ... {end} markers to fill")
    return pattern.sub(lambda _: f"{begin}\n{content}\n{end}", text)


def rendered() -> dict[Path, str]:
    """Each document with its tables rendered from the records."""
    all_records = records.load_all()
    readme = ROOT / "README.md"
    benchmarks = ROOT / "benchmarks" / "README.md"
    out = {readme: filled(readme.read_text(), "results", results_table(all_records))}
    text = benchmarks.read_text()
    for name in TABLES:
        text = filled(text, f"table:{name}", benchmark_table(all_records, name))
    out[benchmarks] = text
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a table differs from the records")
    args = parser.parse_args()
    stale = [path for path, text in rendered().items() if path.read_text() != text]
    if args.check:
        if stale:
            names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
            sys.exit(f"{names}: tables differ from benchmarks/results; run python benchmarks/render.py")
        return
    for path, text in rendered().items():
        path.write_text(text)
    print(f"rendered {len(stale)} file(s)")


if __name__ == "__main__":
    main()
