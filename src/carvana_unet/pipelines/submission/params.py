"""The `submission` parameters, validated by Kedro before any node runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SubmissionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(8, ge=1)
    workers: int = Field(2, ge=1)
    flip_tta: bool = False
    on_unreadable: Literal["error", "empty"] = "error"
