"""The submission writer: resume, order, validation, and nothing half-written in place."""

import numpy as np
import pandas as pd
import pytest

from carvana_unet import rle
from carvana_unet.submission import SubmissionRows, write_submission

SHAPE = (4, 6)
NAMES = [f"car_{i:02d}.jpg" for i in range(1, 6)]


def row(name: str):
    mask = np.zeros(SHAPE, dtype=np.uint8)
    mask[1:3, : int(name[4:6])] = 1
    return name, rle.encode(mask), *SHAPE


def line(name: str) -> str:
    return ",".join(map(str, row(name))) + "\n"


def rows_for(names, produced: list[str] | None = None) -> SubmissionRows:
    def produce(done):
        for name in names:
            if name not in done:
                if produced is not None:
                    produced.append(name)
                yield row(name)

    return SubmissionRows(list(names), produce)


def test_written_in_sample_order_and_partial_removed(tmp_path):
    path = tmp_path / "submission.csv"
    # A killed run left rows out of order and a line cut short.
    cut = line(NAMES[0])[:-4]
    (tmp_path / "submission.csv.partial").write_text(
        "img,rle_mask,height,width\n" + line(NAMES[3]) + line(NAMES[1]) + cut
    )
    produced = []
    write_submission(path, rows_for(NAMES, produced))
    assert produced == [NAMES[0], NAMES[2], NAMES[4]]  # the finished rows are not predicted again
    written = pd.read_csv(path, keep_default_na=False)
    assert written["img"].tolist() == NAMES
    assert written["rle_mask"].tolist() == [row(n)[1] for n in NAMES]
    assert not (tmp_path / "submission.csv.partial").exists()


def test_a_partial_with_only_a_cut_header_starts_afresh(tmp_path):
    (tmp_path / "submission.csv.partial").write_text("img,rle_ma")
    write_submission(tmp_path / "submission.csv", rows_for(NAMES))
    assert pd.read_csv(tmp_path / "submission.csv")["img"].tolist() == NAMES


def test_missing_rows_stop_before_anything_is_renamed(tmp_path):
    path = tmp_path / "submission.csv"
    with pytest.raises(ValueError, match="5 images, missing e.g. \\['car_05.jpg'\\]"):
        write_submission(path, SubmissionRows(NAMES, rows_for(NAMES[:4]).produce))
    assert not path.exists() and (tmp_path / "submission.csv.partial").exists()


def test_duplicate_and_undecodable_rows_are_named(tmp_path):
    path = tmp_path / "submission.csv"
    partial = tmp_path / "submission.csv.partial"
    partial.write_text("img,rle_mask,height,width\n" + line(NAMES[0]))
    ignores_done = SubmissionRows(NAMES, lambda done: (row(n) for n in NAMES))
    with pytest.raises(ValueError, match="more than one row, e.g. \\['car_01.jpg'\\]"):
        write_submission(path, ignores_done)
    partial.write_text("img,rle_mask,height,width\n" + "".join(f"{n},1 999,4,6\n" for n in NAMES))
    with pytest.raises(ValueError, match="bad RLE for car_01.jpg"):
        write_submission(path, SubmissionRows(NAMES, lambda done: iter(())))
    assert not path.exists()
