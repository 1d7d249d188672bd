"""Dice metric and BCE + soft-Dice loss, registered so saved models reload by name."""

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


@keras.saving.register_keras_serializable(package="carvana_unet")
class BceDiceLoss(keras.losses.Loss):
    """bce_weight * binary cross-entropy + dice_weight * (1 - soft Dice)."""

    def __init__(self, bce_weight: float = 1.0, dice_weight: float = 1.0, name: str = "bce_dice", **kwargs):
        super().__init__(name=name, **kwargs)
        self.bce_weight, self.dice_weight = bce_weight, dice_weight

    def call(self, y_true: KerasTensor, y_pred: KerasTensor) -> KerasTensor:
        y_true = ops.cast(y_true, y_pred.dtype)
        bce = ops.mean(keras.losses.binary_crossentropy(y_true, y_pred))
        return self.bce_weight * bce + self.dice_weight * (1.0 - dice_coefficient(y_true, y_pred))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "bce_weight": self.bce_weight, "dice_weight": self.dice_weight}
