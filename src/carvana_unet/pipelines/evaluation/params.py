"""The `evaluation` parameters, validated by Kedro before any node runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class EvaluationParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(8, ge=1)
    flip_tta: bool = False
    thresholds: list[float] = Field(default_factory=lambda: [0.5], min_length=1)
    threshold: Literal["auto"] | float = "auto"
    worst_images: int = Field(3, ge=1)
    # A part of a mask narrower than this fraction of the photo's width is thin (carvana_unet.thin_parts).
    thin_part_width: float = Field(0.006, gt=0, lt=0.1)

    @model_validator(mode="after")
    def _threshold_is_a_candidate(self) -> EvaluationParams:
        if any(not 0 < t < 1 for t in self.thresholds):
            raise ValueError(f"thresholds must lie strictly between 0 and 1, got {self.thresholds}")
        if self.threshold != "auto" and self.threshold not in self.thresholds:
            raise ValueError(f"threshold {self.threshold} is not among thresholds {self.thresholds}")
        return self
