"""Index, validate, split and resize the raw Carvana data into a cache."""

from carvana_unet.pipelines.ingestion.pipeline import create_pipeline

__all__ = ["create_pipeline"]
