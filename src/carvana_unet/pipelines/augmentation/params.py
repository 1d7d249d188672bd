"""The `augmentation` parameters, validated by Kedro before any node runs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from carvana_unet import augment


class AugmentationParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    steps: list[dict[str, Any]] = Field(default_factory=list)  # {name: <albumentations class>, ...its arguments}
    preview_images: int = Field(4, ge=1)
    preview_draws: int = Field(3, ge=0)

    @field_validator("steps")
    @classmethod
    def _steps_build(cls, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        augment.build_transform(steps)  # names and arguments albumentations does not know fail here
        return steps
