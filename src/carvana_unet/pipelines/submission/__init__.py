"""The submission pipeline."""

from carvana_unet.pipelines.submission.pipeline import create_pipeline

__all__ = ["create_pipeline"]
