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
    spp: int = Field(4, ge=1)  # path-traced samples per shading pixel, before the denoiser
    shade_factor: int = Field(4, ge=1)  # light is path-traced at 1/shade_factor of the photo's size
    workers: int | None = Field(None, ge=1)  # rendering processes; None: one per CPU core
