"""The predict pipeline."""

from carvana_unet.pipelines.predict.pipeline import create_pipeline

__all__ = ["create_pipeline"]
