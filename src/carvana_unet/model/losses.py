"""Dice metric and BCE + soft-Dice loss (its BCE optionally weighted on edges), registered so saved models
reload by name."""

from __future__ import annotations

from typing import Any

import keras
from keras import KerasTensor, ops

SMOOTH = 1.0


@keras.saving.register_keras_serializable(package="carvana_unet")
def dice_coefficient(y_true: KerasTensor, y_pred: KerasTensor) -> KerasTensor:
    """Soft Dice over each image, averaged over the batch (hard Dice when predictions are 0/1)."""
    y_true = ops.cast(y_true, y_pred.dtype)
    axes = tuple(range(1, len(y_pred.shape)))
    intersection = ops.sum(y_true * y_pred, axis=axes)
    total = ops.sum(y_true, axis=axes) + ops.sum(y_pred, axis=axes)
    return ops.mean((2.0 * intersection + SMOOTH) / (total + SMOOTH))


def edges(y_true: KerasTensor) -> KerasTensor:
    """1 where a pixel's 3x3 neighbourhood holds more than one target value (both sides of every outline,
    and every partly covered pixel of soft targets), else 0: (batch, H, W)."""
    highest = ops.max_pool(y_true, 3, 1, "same")  # the image's border is not an edge: padding is ignored
    lowest = -ops.max_pool(-y_true, 3, 1, "same")
    return ops.cast(ops.squeeze(highest - lowest, -1) > 0, y_true.dtype)


@keras.saving.register_keras_serializable(package="carvana_unet")
class BceDiceLoss(keras.losses.Loss):
    """bce_weight * binary cross-entropy + dice_weight * (1 - soft Dice).

    With `edge_weight` w, the cross-entropy is a weighted mean: edge pixels (`edges`) weigh 1 + w, the rest 1.
    An outline is a few percent of the pixels, so a plain mean barely charges the model for a faint edge it
    puts a pixel or two inside the car (a white roof on the white backdrop), and the refiner then cannot
    recover what the coarse map has all but dropped.
    """

    def __init__(
        self,
        bce_weight: float = 1.0,
        dice_weight: float = 1.0,
        edge_weight: float = 0.0,
        name: str = "bce_dice",
        **kwargs: Any,
    ):
        super().__init__(name=name, **kwargs)
        self.bce_weight, self.dice_weight, self.edge_weight = bce_weight, dice_weight, edge_weight

    def call(self, y_true: KerasTensor, y_pred: KerasTensor) -> KerasTensor:
        y_true = ops.cast(y_true, y_pred.dtype)
        per_pixel = keras.losses.binary_crossentropy(y_true, y_pred)
        if self.edge_weight:
            weights = 1.0 + self.edge_weight * edges(y_true)
            bce = ops.sum(per_pixel * weights) / ops.sum(weights)
        else:  # the same value, but a sum over a sum would round differently and change the default models' bytes
            bce = ops.mean(per_pixel)
        return self.bce_weight * bce + self.dice_weight * (1.0 - dice_coefficient(y_true, y_pred))

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "bce_weight": self.bce_weight, "dice_weight": self.dice_weight}
        # Written only when on, so that models trained without it keep their bytes (and dvc.lock its md5s).
        return {**config, "edge_weight": self.edge_weight} if self.edge_weight else config
