"""Writing a Kaggle submission safely: resumable, validated, renamed into place when whole."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from carvana_unet import rle

Row = tuple[str, str, int, int]  # img, rle_mask, height, width


@dataclass
class SubmissionRows:
    """The ordered test file names and a lazy producer of rows for those not yet done."""

    expected: list[str]
    produce: Callable[[set[str]], Iterator[Row]]


def _finished_names(partial: Path) -> set[str]:
    """Names already in a partial file from a killed run; a last line cut short is dropped."""
    if not partial.exists():
        return set()
    _drop_cut_last_line(partial)
    with partial.open("rb") as handle:
        handle.readline()  # header
        return {line.split(b",", 1)[0].decode() for line in handle if line.count(b",") == 3}


def _drop_cut_last_line(partial: Path, chunk: int = 1 << 16) -> None:
    # Scan back from the end so that a file of 100,000 masks is never read whole.
    with partial.open("r+b") as handle:
        end = handle.seek(0, os.SEEK_END)
        position = end
        while position > 0:
            start = max(0, position - chunk)
            handle.seek(start)
            block = handle.read(position - start)
            if position == end and block.endswith(b"\n"):
                return
            newline = block.rfind(b"\n")
            if newline >= 0:
                handle.truncate(start + newline + 1)
                return
            position = start
        handle.truncate(0)


def _row_offsets(partial: Path) -> dict[str, int]:
    """Byte offset of each row by image name; raises on duplicates."""
    offsets: dict[str, int] = {}
    duplicates = []
    with partial.open("rb") as handle:
        handle.readline()
        while line := handle.readline():
            name = line.split(b",", 1)[0].decode()
            if name in offsets:
                duplicates.append(name)
            offsets[name] = handle.tell() - len(line)
    if duplicates:
        raise ValueError(
            f"{partial}: {len(duplicates)} images have more than one row, e.g. {duplicates[:3]}: "
            "delete the file to write the submission afresh"
        )
    return offsets


def finalise(partial: Path, path: Path, expected: list[str]) -> None:
    """Check every row and copy them, in sample_submission's order, into `path`.

    One row is in memory at a time: the rows are found again by their byte offsets.
    """
    offsets = _row_offsets(partial)
    if offsets.keys() != set(expected):
        missing = sorted(set(expected) - offsets.keys())[:5]
        extra = sorted(offsets.keys() - set(expected))[:5]
        raise ValueError(
            f"submission rows do not match sample_submission.csv: {len(offsets)} rows for "
            f"{len(expected)} images, missing e.g. {missing}, unexpected e.g. {extra}"
        )
    staging = path.with_name(path.name + ".tmp")
    with partial.open("rb") as source, staging.open("w", newline="") as target:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(["img", "rle_mask"])
        for name in expected:
            source.seek(offsets[name])
            _, code, height, width = next(csv.reader([source.readline().decode()]))
            try:
                rle.decode(code, (int(height), int(width)))
            except ValueError as error:
                raise ValueError(f"bad RLE for {name}: {error}") from None
            writer.writerow([name, code])
    os.replace(staging, path)


def write_submission(path: Path, rows: SubmissionRows, resume: bool = True) -> None:
    """Append rows to `<path>.partial` as they come, then check and rename them into `path`."""
    partial = path.with_name(path.name + ".partial")
    done = _finished_names(partial) if resume else set()
    if not done:
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text("img,rle_mask,height,width\n")
    with partial.open("a", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for row in rows.produce(done):
            writer.writerow(row)
            handle.flush()
    finalise(partial, path, rows.expected)
    partial.unlink()
