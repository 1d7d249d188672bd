"""Training nodes: fit the U-Net on the cache with on-the-fly augmentation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from carvana_unet import augment, imaging, multi_worker, training
from carvana_unet.cache import ImageCache, ResizedSamples
from carvana_unet.input_pipeline import TrainingFeed, predict_probabilities, validation_dataset
from carvana_unet.layout import image_id_to_mask_key
from carvana_unet.model.compiled import compile_unet
from carvana_unet.model.unet import architecture
from carvana_unet.pipelines.evaluation.params import EvaluationParams
from carvana_unet.pipelines.training.params import ModelParams, RefinementParams, TrainingParams
from carvana_unet.refine_training import fit_refiner, photo_crops

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


def collect_refinement_crops(
    model: keras.Model,
    cache: ImageCache,
    train_images: dict[str, Callable],
    train_masks: dict[str, Callable],
    evaluation: EvaluationParams,
    options: RefinementParams,
) -> ResizedSamples:
    """Full-size crops of the training photos along the U-Net's uncertain band, streamed to disk.

    Each crop holds the photo, the U-Net's upscaled probability (made as evaluation makes it) and
    the true mask; one photo is decoded at a time, so memory does not grow with the dataset.
    """
    rows = cache.rows("train") if options.enabled else np.array([], dtype=np.int64)
    count, size, settings = options.crops_per_image, options.crop_size, options.model_dump()
    index = pd.DataFrame(
        {
            "image_id": np.repeat(cache.index["image_id"].to_numpy()[rows], count),
            "crop": np.tile(np.arange(count), len(rows)),
            "split": "train",
        }
    )

    def stream() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        predictions = predict_probabilities(model, cache.images, rows, evaluation.batch_size, evaluation.flip_tta)
        for row, small in tqdm(predictions, total=len(rows), desc="refinement crops", unit="img"):
            meta = cache.index.iloc[row]
            photo = imaging.decode(train_images[meta.image_id]())
            truth = imaging.to_mask_array(train_masks[image_id_to_mask_key(meta.image_id)]())
            probabilities = imaging.to_original_size(small, *truth.shape, meta.aspect)
            yield from photo_crops(photo, probabilities, truth, row, settings)

    return ResizedSamples(index, size, size, stream, channels=4)


def train_refiner(
    crops: ImageCache, transform_config: dict[str, Any], options: RefinementParams
) -> tuple[keras.Model, pd.DataFrame]:
    """The refiner and its per-epoch loss; switched off, an untrained one (it returns the U-Net's mask)."""
    augmentation = augment.SeededAugmentation(augment.from_config(transform_config), options.seed)
    settings = {**options.model_dump(), "epochs": options.epochs if options.enabled and len(crops.index) else 0}
    model, history = fit_refiner(crops.images, crops.masks, settings, augmentation)
    if len(history):
        log.info("refiner: %d crops, band accuracy %.4f", len(crops.index), history["band_accuracy"].iloc[-1])
    return model, history


def history_to_metrics(history: pd.DataFrame) -> dict[str, list[dict[str, float]]]:
    """Per-epoch curves in kedro-mlflow's metrics-history form."""
    return {
        column: [{"step": int(epoch), "value": float(value)} for epoch, value in zip(history["epoch"], history[column])]
        for column in history.columns
        if column != "epoch"
    }
