"""Where a mask is thinner than a low-resolution pixel: antennas, mirror arms, rack rails, gaps.

Mean Dice over a whole car hides them (an antenna is a few hundred of two million pixels), so
evaluation also scores Dice inside this region alone. It is found from the mask itself, by
morphology, so it works on real Kaggle masks as on synthetic ones: the pixels an opening with a
disc `width` wide removes, widened by the same disc so that a prediction that misses or smears
a part counts against it.
"""

from __future__ import annotations

import cv2
import numpy as np

from carvana_unet.dice import dice


def disc(width_fraction: float, image_width: int) -> np.ndarray:
    """An odd-sized elliptic kernel `width_fraction` of the image width across, at least 3 pixels."""
    size = max(3, round(width_fraction * image_width) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def thin_region(truth: np.ndarray, width_fraction: float) -> np.ndarray:
    """Boolean map of the pixels on or around the parts of a 0/1 mask narrower than the disc."""
    mask = truth.astype(np.uint8)
    kernel = disc(width_fraction, mask.shape[1])
    thin = cv2.subtract(mask, cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel))
    # An opening also shaves a few pixels off each corner of a drawn outline: keep only the
    # pieces at least as long as the disc is wide, as a part is.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(thin, connectivity=8)
    keep = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= kernel.shape[0])
    thin = np.isin(labels, keep[keep > 0]).astype(np.uint8)
    return cv2.dilate(thin, kernel).astype(bool)


def region_dice(prediction: np.ndarray, truth: np.ndarray) -> float:
    """Dice of a region's pixels, gathered as `mask[region]`; NaN when the mask has no thin parts to score."""
    return dice(prediction, truth) if truth.size else float("nan")
