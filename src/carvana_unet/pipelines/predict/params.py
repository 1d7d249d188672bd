"""The `predict` parameters, validated by Kedro before any node runs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PredictParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Given on the command line and read by the catalog (predict_photos, predictions), which holds the defaults.
    input_dir: str | None = None
    output_dir: str | None = None
    background: str | None = None  # a colour ('white', '#00b140') or an image file: also write composites
    cutouts: bool = True  # false: masks only, and without the refiner no photo is decoded at full size
    batch_size: int = Field(4, ge=1)
    workers: int = Field(2, ge=1)  # threads reading photos
    flip_tta: bool = False
