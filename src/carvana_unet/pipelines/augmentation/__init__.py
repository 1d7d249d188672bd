"""The augmentation pipeline."""

from carvana_unet.pipelines.augmentation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
