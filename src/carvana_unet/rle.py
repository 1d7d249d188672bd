"""Kaggle Carvana run-length codes: 1-indexed `start length` pairs over the row-major mask."""

from __future__ import annotations

import numpy as np


def encode(mask: np.ndarray) -> str:
    """Encode a 2-D binary mask; an empty mask gives the empty string."""
    pixels = np.asarray(mask).ravel()
    if pixels.dtype == np.uint8 and pixels.max(initial=0) <= 1:
        pixels = pixels.view(bool)  # 0/1 bytes are numpy bools: a view, not a second full-size array
    pixels = pixels.astype(bool, copy=False)
    # Pad with a background pixel at each end so runs touching the first or
    # last pixel still produce a start and an end transition.
    padded = np.concatenate(([False], pixels, [False]))
    changes = np.flatnonzero(padded[1:] != padded[:-1]) + 1
    changes[1::2] -= changes[::2]
    return " ".join(map(str, changes))


def decode(code: str, shape: tuple[int, int]) -> np.ndarray:
    """Decode a run-length code into a uint8 mask of `shape` (rows, columns)."""
    height, width = shape
    mask = np.zeros(height * width, dtype=np.uint8)
    numbers = np.array(str(code).split(), dtype=np.int64) if code and str(code) != "nan" else np.empty(0, np.int64)
    if numbers.size % 2:
        raise ValueError(f"RLE has an odd number of values ({numbers.size}): expected start/length pairs")
    starts, lengths = numbers[0::2] - 1, numbers[1::2]
    ends = starts + lengths
    if numbers.size and (starts.min() < 0 or lengths.min() < 1 or ends.max() > mask.size):
        raise ValueError(f"RLE runs fall outside a {height}x{width} mask")
    if numbers.size > 2 and np.any(starts[1:] < ends[:-1]):
        raise ValueError("RLE runs are not sorted and non-overlapping")
    for start, end in zip(starts, ends):
        mask[start:end] = 1
    return mask.reshape(height, width)
