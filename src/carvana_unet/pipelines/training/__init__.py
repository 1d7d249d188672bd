"""The training pipeline."""

from carvana_unet.pipelines.training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
