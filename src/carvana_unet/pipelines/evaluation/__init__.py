"""The evaluation pipeline."""

from carvana_unet.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
