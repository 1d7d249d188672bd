"""Writing a Kaggle submission safely: resumable, validated, renamed into place when whole."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from carvana_unet import rle

Row = tuple[str, str, int, int]  # img, rle_mask, height, width


@dataclass
class SubmissionRows:
    """The ordered test file names and a lazy producer of rows for those not yet done."""

    expected: list[str]
    produce: Callable[[set[str]], Iterator[Row]]


def _completed_rows(partial: Path) -> list[Row]:
    """Rows of a partial file from a killed run; a last line cut short is dropped."""
    if not partial.exists():
        return []
    text = partial.read_text()
    if not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
        partial.write_text(text)
    rows = list(csv.reader(text.splitlines()))[1:]
    return [(r[0], r[1], int(r[2]), int(r[3])) for r in rows if len(r) == 4]


def validate(rows: list[Row], expected: list[str]) -> None:
    """Every expected image once, in order, each code decodable inside its image."""
    names = [row[0] for row in rows]
    if names != expected:
        missing = sorted(set(expected) - set(names))[:5]
        extra = sorted(set(names) - set(expected))[:5]
        raise ValueError(
            f"submission rows do not match sample_submission.csv: {len(names)} rows for {len(expected)} images, "
            f"missing e.g. {missing}, unexpected e.g. {extra}, duplicates {len(names) - len(set(names))}"
        )
    for name, code, height, width in rows:
        try:
            rle.decode(code, (height, width))
        except ValueError as error:
            raise ValueError(f"bad RLE for {name}: {error}") from None


def write_submission(path: Path, rows: SubmissionRows, resume: bool = True) -> None:
    partial = path.with_name(path.name + ".partial")
    done = _completed_rows(partial) if resume else []
    if not resume or not partial.exists():
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text("img,rle_mask,height,width\n")
    with partial.open("a", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for row in rows.produce({row[0] for row in done}):
            writer.writerow(row)
            handle.flush()
    every = _completed_rows(partial)
    order = {name: i for i, name in enumerate(rows.expected)}
    every.sort(key=lambda row: order.get(row[0], len(order)))
    validate(every, rows.expected)
    staging = path.with_name(path.name + ".tmp")
    pd.DataFrame([row[:2] for row in every], columns=["img", "rle_mask"]).to_csv(staging, index=False)
    os.replace(staging, path)
    partial.unlink()
