"""The ingestion cache: resized images and masks as memory-mapped .npy arrays plus an index.

Writes go to a temporary folder renamed into place at the end, so a killed or
failed write never leaves a cache that looks complete.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd

Sample = tuple[np.ndarray, np.ndarray]  # image (H, W, channels) uint8, mask (H, W) uint8 0..mask_scale


@dataclass
class ResizedSamples:
    """What ingestion hands to the cache: the index and a lazy stream of its rows' pixels."""

    index: pd.DataFrame
    height: int
    width: int
    stream: Callable[[], Iterator[Sample]]
    channels: int = 3  # 4 for refinement crops: the photo and the U-Net's probability


@dataclass
class ImageCache:
    """A cache opened for reading; arrays are memory-mapped, so opening costs no memory."""

    index: pd.DataFrame
    images: np.ndarray
    masks: np.ndarray

    @property
    def mask_scale(self) -> int:
        """A fully covered mask pixel's value: 1 (0/1 masks) or 255 (soft targets: coverage 0..255)."""
        return int(self.index["mask_scale"].iloc[0]) if "mask_scale" in self.index and len(self.index) else 1

    def rows(self, split: str) -> np.ndarray:
        """Positions of the rows in one split ('train' or 'validation')."""
        return np.flatnonzero(self.index["split"].to_numpy() == split)


def write_cache(path: Path, samples: ResizedSamples) -> None:
    count = len(samples.index)
    staging = path.with_name(f".{path.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        shape = (count, samples.height, samples.width)
        with (
            _npy_writer(staging / "images.npy", (*shape, samples.channels)) as images,
            _npy_writer(staging / "masks.npy", shape) as masks,
        ):
            written = 0
            for image, mask in samples.stream():
                images.write(np.ascontiguousarray(image, dtype=np.uint8).data)
                masks.write(np.ascontiguousarray(mask, dtype=np.uint8).data)
                written += 1
        if written != count:
            raise RuntimeError(f"expected {count} samples for {path}, got {written}")
        samples.index.to_csv(staging / "index.csv", index=False)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = path.with_name(f".{path.name}.old")
    if path.exists():
        path.rename(old)
    staging.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def _npy_writer(path: Path, shape: tuple[int, ...]) -> BinaryIO:
    """A uint8 .npy file of `shape`, open for sequential writes just past its header.

    Plain writes rather than a writable memmap: written pages go to the OS cache instead of
    staying in this process's resident memory, so ingesting 5,000 images costs what 50 do.
    """
    header = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)
    offset = header.offset
    del header
    handle = path.open("r+b")
    handle.seek(offset)
    return handle


def read_cache(path: Path) -> ImageCache:
    if not (path / "index.csv").exists():
        raise FileNotFoundError(
            f"no cache at {path}: run `kedro run --pipelines ingestion` (the training cache) "
            "or `--pipelines training` (refinement crops) first"
        )
    index = pd.read_csv(path / "index.csv", dtype={"image_id": str, "car_id": str})
    return ImageCache(index, np.load(path / "images.npy", mmap_mode="r"), np.load(path / "masks.npy", mmap_mode="r"))
