"""Training nodes: fit the U-Net on the cache with on-the-fly augmentation."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import keras
import pandas as pd

from carvana_unet import augment, multi_worker, training
from carvana_unet.cache import ImageCache
from carvana_unet.input_pipeline import TrainingFeed, validation_dataset
from carvana_unet.model.compiled import compile_unet
from carvana_unet.model.unet import architecture
from carvana_unet.pipelines.training.params import ModelParams, TrainingParams

log = logging.getLogger(__name__)


def train_unet(
    cache: ImageCache, transform_config: dict[str, Any], model_options: ModelParams, options: TrainingParams
) -> tuple[keras.Model, pd.DataFrame, float]:
    """Returns the best model, its per-epoch history, and its validation Dice at model resolution."""
    train_rows, validation_rows = cache.rows("train"), cache.rows("validation")
    if not len(train_rows):
        raise ValueError("the cache has no training rows: lower ingestion.validation_fraction")
    height, width = cache.images.shape[1:3]
    arch = architecture(model_options.preset, model_options.overrides.model_dump())
    settings = {**options.model_dump(), "has_validation": bool(len(validation_rows))}
    with training.strategy_for(options.distribute).scope():
        model = compile_unet(arch, height, width, settings)
    log.info(
        "%s: %s parameters, input %dx%d, %d train / %d validation images",
        model.name,
        f"{model.count_params():,}",
        width,
        height,
        len(train_rows),
        len(validation_rows),
    )
    augmentation = augment.SeededAugmentation(augment.from_config(transform_config), options.seed)
    feed = TrainingFeed(
        cache.images,
        cache.masks,
        train_rows,
        options.batch_size,
        augmentation,
        seed=options.seed,
        deterministic=options.deterministic,
        mask_scale=cache.mask_scale,
    )
    validation_data = (
        validation_dataset(cache.images, cache.masks, validation_rows, options.batch_size, cache.mask_scale)
        if len(validation_rows)
        else None
    )
    history = training.fit(model, feed, validation_data, settings, Path(options.checkpoint_dir))
    if validation_data is None:
        final_dice = float("nan")
    elif multi_worker.in_use(model):  # Keras' evaluate() cannot run under it either
        final_dice = multi_worker.validate(model, validation_data)["dice"]
    else:
        final_dice = float(model.evaluate(validation_data, verbose=0, return_dict=True)["dice"])
    log.info("validation Dice at %dx%d: %.4f", width, height, final_dice)
    return model, history, final_dice


def history_to_metrics(history: pd.DataFrame) -> dict[str, list[dict[str, float]]]:
    """Per-epoch curves in kedro-mlflow's metrics-history form."""
    return {
        column: [{"step": int(epoch), "value": float(value)} for epoch, value in zip(history["epoch"], history[column])]
        for column in history.columns
        if column != "epoch"
    }
