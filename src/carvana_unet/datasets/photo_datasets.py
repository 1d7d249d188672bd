"""Kedro faces of the predict pipeline's input and output folders (see carvana_unet.predictions)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset
from kedro.io.core import DatasetError

from carvana_unet.predictions import PredictionStream, write_predictions
from carvana_unet.segmenter import PHOTO_SUFFIXES, find_photos


class PhotoFolder(AbstractDataset[None, dict[str, Callable[[], bytes]]]):
    """One photo, or every JPEG/PNG/WebP in a folder: a lazy loader of the file's bytes per file name
    (the segmenter decodes them: a JPEG twice, at full size and straight to the model's size)."""

    def __init__(self, path: str, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> dict[str, Callable[[], bytes]]:
        try:
            photos = find_photos(self._path)
        except FileNotFoundError as error:
            raise DatasetError(f"{error}: pass the photos with --params predict.input_dir=PATH") from None
        if not photos:
            raise DatasetError(f"no photos ({', '.join(PHOTO_SUFFIXES)}) in {self._path}")
        return {p.name: p.read_bytes for p in photos}

    def save(self, data: None) -> None:
        raise DatasetError("PhotoFolder is read-only: it is the photos to predict on")

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}


class PredictionFailed(RuntimeError):
    """Some photos could not be predicted; the others were written and report.json names each."""


class PredictionFolder(AbstractDataset[PredictionStream, dict]):
    """Writes masks, cut-outs and composites as they are predicted; a re-run skips finished photos."""

    def __init__(self, path: str, workers: int = 2, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self._workers = workers
        self.metadata = metadata

    def load(self) -> dict:
        return json.loads((self._path / "report.json").read_text())

    def save(self, data: PredictionStream) -> None:
        report = write_predictions(self._path, data, self._workers)
        if report["failed"]:
            listing = "\n".join(f"  {f['file']}: {f['reason']}" for f in report["failed"][:20])
            raise PredictionFailed(
                f"{len(report['failed'])} of {report['photos']} photos failed (the rest were written; "
                f"all are listed in {self._path / 'report.json'}):\n{listing}"
            )

    def _exists(self) -> bool:
        return (self._path / "report.json").exists()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
