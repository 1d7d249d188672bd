"""The `synthetic` parameters, validated by Kedro before any node runs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SyntheticParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    train_cars: int = Field(ge=1)
    test_cars: int = Field(ge=1)
    width: int = Field(1918, ge=32)
    height: int = Field(1280, ge=32)
    seed: int = 0
