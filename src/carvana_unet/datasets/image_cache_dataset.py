"""Kedro face of the ingestion cache (see carvana_unet.cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from carvana_unet.cache import ImageCache, ResizedSamples, read_cache, write_cache


class ImageCacheDataset(AbstractDataset[ResizedSamples, ImageCache]):
    """Saves a stream of resized samples atomically; loads them memory-mapped."""

    def __init__(self, path: str, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> ImageCache:
        return read_cache(self._path)

    def save(self, data: ResizedSamples) -> None:
        write_cache(self._path, data)

    def _exists(self) -> bool:
        return (self._path / "index.csv").exists()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
