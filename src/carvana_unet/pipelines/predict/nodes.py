"""Predict node: the trained model and refiner, its aspect handling and evaluation's threshold, on any photos."""

from __future__ import annotations

from collections.abc import Callable

import keras

from carvana_unet.pipelines.ingestion.params import IngestionParams
from carvana_unet.pipelines.predict.params import PredictParams
from carvana_unet.pipelines.training.params import RefinementParams
from carvana_unet.predictions import PredictionStream, predict_stream
from carvana_unet.segmenter import Segmenter


def predict_photos(
    model: keras.Model,
    refiner_model: keras.Model,
    threshold: dict[str, float],
    photos: dict[str, Callable[[], bytes]],
    ingestion: IngestionParams,
    refinement: RefinementParams,
    options: PredictParams,
) -> PredictionStream:
    """A lazy stream of masks that the predictions dataset writes as they come."""
    refiner = refinement.refiner(refiner_model)
    segmenter = Segmenter(model, threshold["threshold"], ingestion.aspect, options.flip_tta, refiner)
    return predict_stream(segmenter, photos, options.batch_size, options.workers, options.background, options.cutouts)
