"""Synthetic Carvana-like data in Kaggle's layout."""

from carvana_unet.pipelines.generate.pipeline import create_pipeline

__all__ = ["create_pipeline"]
