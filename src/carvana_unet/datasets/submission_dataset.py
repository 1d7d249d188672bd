"""Kedro face of the resumable submission writer (see carvana_unet.submission)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset

from carvana_unet.submission import SubmissionRows, write_submission


class SubmissionDataset(AbstractDataset[SubmissionRows, pd.DataFrame]):
    """Saves rows as they are produced into `<path>.partial`, resuming it after a kill."""

    def __init__(self, filepath: str, resume: bool = True, metadata: dict[str, Any] | None = None):
        self._path = Path(filepath)
        self._resume = resume
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        return pd.read_csv(self._path, keep_default_na=False)

    def save(self, data: SubmissionRows) -> None:
        write_submission(self._path, data, self._resume)

    def _exists(self) -> bool:
        return self._path.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._path), "resume": self._resume}
