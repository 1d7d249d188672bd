"""The raw Kaggle files, with errors that say how to point the project at real data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fsspec
import pandas as pd
from kedro.io import AbstractDataset
from kedro.io.core import DatasetError
from kedro_datasets.pandas import CSVDataset
from kedro_datasets.partitions import PartitionedDataset

RAW_DATA_HINT = (
    "point the project at your unpacked Kaggle download with `kedro run --params raw_dir=PATH` "
    "(or raw_dir in conf/local/globals.yml), unpack the zips with `carvana-unpack DOWNLOADS PATH`, "
    "or generate synthetic data with `kedro run --pipelines generate`"
)


class FileLoaders(dict[str, Callable[[], Any]]):
    """One lazy loader per file, keyed by name without the suffix; `suffix` completes a file name."""

    def __init__(self, loaders: dict[str, Callable[[], Any]], suffix: str):
        super().__init__(loaders)
        self.suffix = suffix


class ImageBytesDataset(AbstractDataset[None, bytes]):
    """One image file (local or any fsspec URL) as its encoded bytes: the nodes decode them, at full size
    or straight to the model's (carvana_unet.imaging), as every door to the model does."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None):
        self._filepath = filepath
        self.metadata = metadata

    def load(self) -> bytes:
        with fsspec.open(self._filepath, "rb") as file:
            return file.read()

    def save(self, data: None) -> None:
        raise DatasetError("ImageBytesDataset is read-only: the raw photos are written by the generator or by Kaggle")

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath}


class RawImageFolder(PartitionedDataset):
    """A Kaggle image folder (train/, train_masks/, test/): one lazy loader per file."""

    def load(self) -> FileLoaders:
        try:
            return FileLoaders(super().load(), self._filename_suffix)
        except DatasetError as error:
            if "No partitions found" not in str(error):
                raise
            raise DatasetError(
                f"no '*{self._filename_suffix}' files in {self._path}: this is not a Carvana folder; {RAW_DATA_HINT}"
            ) from None


class RawCSVDataset(CSVDataset):
    """A Kaggle CSV (metadata.csv, sample_submission.csv, train_masks.csv)."""

    def load(self) -> pd.DataFrame:
        if not self._exists():
            raise DatasetError(f"{self._filepath} is missing; {RAW_DATA_HINT}")
        return super().load()
