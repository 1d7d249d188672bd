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
from carvana_unet.thin_parts import region_dice


def resolution_ceilings(
    truth: np.ndarray, height: int, width: int, aspect: str, thin: np.ndarray | None = None
) -> dict[str, float]:
    """{"ceiling_hard": Dice, "ceiling_soft": Dice} of a full-size 0/1 mask at a (height, width) model input;
    with a thin-part region (carvana_unet.thin_parts), also both inside it: "ceiling_hard_thin", ...
    (NaN where the region is empty)."""
    full_h, full_w = truth.shape
    hard = imaging.to_model_size(truth, height, width, aspect, is_mask=True).astype(np.float32)
    coverage = imaging.to_model_size(truth.astype(np.float32), height, width, aspect)
    ceilings = {}
    for name, small in (("ceiling_hard", hard), ("ceiling_soft", coverage)):
        restored = imaging.to_original_size(small, full_h, full_w, aspect) > 0.5
        ceilings[name] = dice(restored, truth)
        if thin is not None:
            ceilings[f"{name}_thin"] = region_dice(restored[thin], truth[thin])
    return ceilings
