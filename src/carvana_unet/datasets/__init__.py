"""Kedro datasets for the Carvana files and the project's own on-disk formats."""

from carvana_unet.datasets.image_cache_dataset import ImageCacheDataset
from carvana_unet.datasets.keras_model_dataset import KerasModelDataset
from carvana_unet.datasets.photo_datasets import PhotoFolder, PredictionFolder
from carvana_unet.datasets.raw_datasets import FileLoaders, ImageBytesDataset, RawCSVDataset, RawImageFolder
from carvana_unet.datasets.registered_model_dataset import RegisteredModelDataset
from carvana_unet.datasets.rendered_dataset import RenderedCarvanaDataset
from carvana_unet.datasets.submission_dataset import SubmissionDataset

__all__ = [
    "FileLoaders",
    "ImageBytesDataset",
    "ImageCacheDataset",
    "KerasModelDataset",
    "PhotoFolder",
    "PredictionFolder",
    "RawCSVDataset",
    "RawImageFolder",
    "RegisteredModelDataset",
    "RenderedCarvanaDataset",
    "SubmissionDataset",
]
