"""Kedro datasets for the Carvana files and the project's own on-disk formats."""

from carvana_unet.datasets.image_cache_dataset import ImageCacheDataset
from carvana_unet.datasets.keras_model_dataset import KerasModelDataset
from carvana_unet.datasets.raw_datasets import RawCSVDataset, RawImageFolder
from carvana_unet.datasets.submission_dataset import SubmissionDataset

__all__ = ["ImageCacheDataset", "KerasModelDataset", "RawCSVDataset", "RawImageFolder", "SubmissionDataset"]
