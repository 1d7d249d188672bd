"""What the input size alone costs: the Dice of the true mask sent through the model's resolution and back.

`hard` thresholds the shrunken mask, as the training targets are made: a model that learnt them
exactly scores this (a real one can beat it, its probabilities being soft at the edges). `soft` keeps
each model pixel's car fraction, what a model predicting coverage would score: about the bound for the
input size. Both come back to full size as predictions do.
"""

from __future__ import annotations

import numpy as np

from carvana_unet import imaging
from carvana_unet.dice import dice


def resolution_ceilings(truth: np.ndarray, height: int, width: int, aspect: str) -> dict[str, float]:
    """{"ceiling_hard": Dice, "ceiling_soft": Dice} of a full-size 0/1 mask at a (height, width) model input."""
    full_h, full_w = truth.shape
    hard = imaging.to_model_size(truth, height, width, aspect, is_mask=True).astype(np.float32)
    coverage = imaging.to_model_size(truth.astype(np.float32), height, width, aspect)
    return {
        "ceiling_hard": dice(imaging.to_original_size(hard, full_h, full_w, aspect) > 0.5, truth),
        "ceiling_soft": dice(imaging.to_original_size(coverage, full_h, full_w, aspect) > 0.5, truth),
    }
