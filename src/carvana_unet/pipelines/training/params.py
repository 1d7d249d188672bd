"""The `model` and `training` parameters, validated by Kedro before any node runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from carvana_unet.model.unet import PRESETS


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
