"""The `ingestion` parameters, validated by Kedro before any node runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IngestionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default

    on_bad_input: Literal["error", "skip"] = "error"
    validation_fraction: float = Field(0.2, ge=0, lt=1)
    split_seed: int = 42
    input_height: int = Field(128, ge=1)
    input_width: int = Field(192, ge=1)
    aspect: Literal["stretch", "pad"] = "stretch"
    soft_targets: bool = False  # masks at model size keep each pixel's coverage instead of a 0/1 verdict
    workers: int = Field(2, ge=1)
