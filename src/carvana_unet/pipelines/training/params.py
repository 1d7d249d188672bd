"""The `model` and `training` parameters, validated by Kedro before any node runs."""

from __future__ import annotations

from typing import Literal

import keras
from pydantic import BaseModel, ConfigDict, Field

from carvana_unet.model.unet import PRESETS
from carvana_unet.refine import Refiner


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default


class ModelOverrides(_Strict):
    """Non-null values replace the preset's."""

    depth: int | None = Field(None, ge=1)
    base_filters: int | None = Field(None, ge=1)
    normalization: Literal["batch", "group", "none"] | None = None
    dropout: float | None = Field(None, ge=0, lt=1)


class ModelParams(_Strict):
    preset: Literal[tuple(PRESETS)] = "cpu-small"  # type: ignore[valid-type]
    overrides: ModelOverrides = Field(default_factory=ModelOverrides)


class LossWeights(_Strict):
    bce_weight: float = Field(1.0, ge=0)
    dice_weight: float = Field(1.0, ge=0)
    edge_weight: float = Field(0.0, ge=0)  # extra BCE weight on the targets' edge pixels (model/losses.py)


class ReduceLr(_Strict):
    factor: float = Field(0.5, gt=0, lt=1)
    patience: int = Field(3, ge=0)
    min_lr: float = Field(1e-5, ge=0)


class EarlyStopping(_Strict):
    patience: int = Field(6, ge=0)
    min_delta: float = Field(1e-4, ge=0)


class TrainingParams(_Strict):
    epochs: int = Field(ge=1)
    batch_size: int = Field(ge=1)
    optimizer: str = "adam"
    learning_rate: float = Field(gt=0)
    gradient_clip_norm: float | None = Field(None, gt=0)  # scale a step's gradients down to this global norm
    seed: int = 0
    deterministic: bool = True
    loss: LossWeights = Field(default_factory=LossWeights)
    reduce_lr: ReduceLr = Field(default_factory=ReduceLr)
    early_stopping: EarlyStopping = Field(default_factory=EarlyStopping)
    resume: bool = True
    checkpoint_dir: str = "data/06_models/checkpoints"
    mixed_precision: bool = False
    gradient_accumulation_steps: int = Field(1, ge=1)
    freeze_batch_norm_after: int | None = Field(None, ge=1)
    distribute: Literal["none", "mirrored", "multi_worker"] = "none"
    jit_compile: bool = False


class RefinementParams(_Strict):
    """The full-resolution refinement stage (carvana_unet.refine): trained with the U-Net, used after it."""

    enabled: bool = True
    band: float = Field(0.02, gt=0, lt=0.5)
    strip: int = Field(24, ge=1)
    pixels_per_call: int = Field(1 << 19, ge=1)
    filters: int = Field(8, ge=1)
    dilations: list[int] = Field(default_factory=lambda: [1, 1, 1], min_length=1)
    crop_size: int = Field(64, ge=16)
    crops_per_image: int = Field(16, ge=1)
    epochs: int = Field(6, ge=0)
    batch_size: int = Field(32, ge=1)
    learning_rate: float = Field(0.003, gt=0)
    coarse_jitter: float = Field(0.0, ge=0, le=1)  # chance a crop's coarse map gets a U-Net-like mistake
    coarse_jitter_size: int = Field(0, ge=0)  # up to this many pixels wide
    coarse_jitter_openings: float = Field(0.5, ge=0, le=1)  # the share that loses thin parts, not fills
    seed: int = 7

    def refiner(self, model: keras.Model) -> Refiner | None:
        """How evaluation, submission and predict apply `model`; None when the stage is switched off."""
        return Refiner(model, self.band, self.strip, self.pixels_per_call) if self.enabled else None
