"""Kedro face of the reproducible model file (see carvana_unet.model.saving)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
from kedro.io import AbstractDataset

from carvana_unet.model.saving import load_model, save_model


class KerasModelDataset(AbstractDataset[keras.Model, keras.Model]):
    """A `.keras` file whose bytes depend only on the model, so DVC sees a rerun as unchanged."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> keras.Model:
        return load_model(self._filepath)

    def save(self, data: keras.Model) -> None:
        save_model(data, self._filepath)

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
