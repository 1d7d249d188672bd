"""The Carvana file layout as Kaggle ships it, and unpacking of its zips.

Image ids look like ``<12-hex car id>_<two-digit angle>``; photos are
``<folder>/<id>.jpg`` and masks ``train_masks/<id>_mask.gif``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import zipfile
from pathlib import Path

IMAGE_ID = re.compile(r"^(?P<car_id>[0-9a-f]+)_(?P<angle>\d{2})$")
MASK_SUFFIX = "_mask"
KAGGLE_ZIPS = (
    "train.zip",
    "train_hq.zip",
    "train_masks.zip",
    "test.zip",
    "test_hq.zip",
    "metadata.csv.zip",
    "train_masks.csv.zip",
    "sample_submission.csv.zip",
)


class CarvanaDataError(ValueError):
    """Raised when raw data is not Carvana-shaped; the message names files and the fix."""


def parse_image_id(image_id: str) -> tuple[str, int]:
    """Split ``<car>_<angle>`` into the car id and the angle number."""
    match = IMAGE_ID.match(image_id)
    if not match:
        raise CarvanaDataError(
            f"'{image_id}' is not a Carvana image name: expected <car id>_<angle>, e.g. 00087a6bd4dc_01"
        )
    return match["car_id"], int(match["angle"])


def image_id_to_mask_key(image_id: str) -> str:
    """``<id>`` -> ``<id>_mask``, the mask's partition key in train_masks/."""
    return image_id + MASK_SUFFIX


def mask_key_to_image_id(key: str) -> str:
    """``<id>_mask`` (a partition key in train_masks/) -> ``<id>``."""
    return key[: -len(MASK_SUFFIX)] if key.endswith(MASK_SUFFIX) else key


def unpack(download_dir: Path, raw_dir: Path) -> list[str]:
    """Unpack the Kaggle zips found in `download_dir` into `raw_dir`.

    Each archive is extracted into a temporary folder and moved into place only
    when complete, so an interrupted unpack never looks finished.
    """
    raw_dir.mkdir(parents=True, exist_ok=True)
    unpacked = []
    for name in KAGGLE_ZIPS:
        archive = download_dir / name
        if not archive.exists():
            continue
        staging = raw_dir / f".unpacking-{name}"
        shutil.rmtree(staging, ignore_errors=True)
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(staging)
        for entry in staging.iterdir():
            if entry.name.startswith("__MACOSX"):
                continue
            target = raw_dir / entry.name
            if target.exists():
                raise CarvanaDataError(f"{target} already exists: remove it or unpack into an empty folder")
            entry.rename(target)
        shutil.rmtree(staging)
        unpacked.append(name)
    if not unpacked:
        raise CarvanaDataError(f"no Kaggle Carvana zips ({', '.join(KAGGLE_ZIPS)}) found in {download_dir}")
    return unpacked


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Unpack the Kaggle Carvana zips into a raw-data folder.")
    parser.add_argument("download_dir", type=Path, help="folder holding train.zip, train_masks.zip, ...")
    parser.add_argument("raw_dir", type=Path, help="folder to unpack into, e.g. data/01_raw/carvana")
    args = parser.parse_args(argv)
    for name in unpack(args.download_dir, args.raw_dir):
        print(f"unpacked {name} into {args.raw_dir}")


if __name__ == "__main__":
    main()
