"""Submission node: stream the test images through the model into Kaggle's RLE CSV."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from itertools import islice

import keras
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from carvana_unet import imaging, rle
from carvana_unet.input_pipeline import predict_batch
from carvana_unet.layout import CarvanaDataError
from carvana_unet.pipelines.ingestion.params import IngestionParams
from carvana_unet.pipelines.submission.params import SubmissionParams
from carvana_unet.pipelines.training.params import RefinementParams
from carvana_unet.submission import Row, SubmissionRows

log = logging.getLogger(__name__)
# name, image or probabilities (None: unreadable), full h, w, and the full-size photo when refining
Loaded = tuple[str, np.ndarray | None, int, int, np.ndarray | None]


def make_submission(
    model: keras.Model,
    refiner_model: keras.Model,
    test_images: dict[str, Callable],
    sample_submission: pd.DataFrame,
    threshold: dict[str, float],
    ingestion: IngestionParams,
    refinement: RefinementParams,
    options: SubmissionParams,
) -> SubmissionRows:
    """Rows in sample_submission.csv's order, produced lazily as the submission dataset writes them.

    Reading and resizing run ahead in threads, prediction runs on the main thread, the refiner in
    a thread of its own, and the full-size upscale + threshold + RLE in threads behind them, so
    memory holds only a few batches. JPEGs decode straight to the model's size, as ingestion decoded
    the training photos, at a fraction of the cost; with refinement, each is also decoded at full size.
    """
    names = sample_submission["img"].astype(str).tolist()
    missing = [n for n in names if n.removesuffix(".jpg") not in test_images]
    if missing:
        raise CarvanaDataError(
            f"{len(missing)} images of sample_submission.csv are not in the test folder, "
            f"e.g. {missing[:3]}: check globals test_images_folder and raw_dir"
        )
    height, width = model.input_shape[1:3]
    aspect, cut, batch_size, workers = (
        ingestion.aspect,
        threshold["threshold"],
        options.batch_size,
        options.workers,
    )
    refiner = refinement.refiner(refiner_model)
    unreadable: list[str] = []

    def load(name: str) -> Loaded:
        try:
            data = test_images[name.removesuffix(".jpg")]()
            image, (full_h, full_w) = imaging.decode_to_model_size(data, height, width, aspect)
            photo = imaging.decode(data) if refiner is not None else None  # the U-Net's input stays as ingestion's
        except Exception as error:  # noqa: BLE001 - any decoder failure means the file is unusable
            if options.on_unreadable != "empty":
                raise CarvanaDataError(
                    f"test image {name} is unreadable or truncated ({error}): replace it, or set "
                    "submission.on_unreadable: empty to submit an empty mask for it"
                ) from None
            unreadable.append(name)
            return name, None, 0, 0, None
        return name, image, full_h, full_w, photo

    def predicted(todo: list[str]) -> Iterator[Loaded]:
        loaded = imaging.bounded_map(load, todo, workers, window=2 * batch_size)
        while batch := list(islice(loaded, batch_size)):
            readable = [item for item in batch if item[1] is not None]
            probabilities = iter(
                predict_batch(model, np.stack([i[1] for i in readable]) / np.float32(255), options.flip_tta)
                if readable
                else []
            )
            for name, image, h, w, photo in batch:
                yield name, (next(probabilities) if image is not None else None), h, w, photo

    def restore(item: Loaded) -> Loaded:
        """The full-size probability, refined when on: in one thread of its own, beside the U-Net."""
        name, probabilities, h, w, photo = item
        if probabilities is None:
            return item
        full_size = imaging.to_original_size(probabilities, h, w, aspect)
        return name, (full_size if refiner is None else refiner.refine(photo, full_size, in_place=True)), h, w, None

    def encode(item: Loaded) -> Row:
        name, probabilities, h, w, _ = item
        if probabilities is None:
            return name, "", 1, 1
        return name, rle.encode(probabilities > cut), h, w

    def produce(done: set[str]) -> Iterator[Row]:
        todo = [n for n in names if n not in done]
        if done:
            log.info("resuming submission: %d of %d images already written", len(done), len(names))
        # Without refinement, restoring is cheap and runs in the encoding threads; with it, the refiner
        # (a Keras model, called from one thread only) works on one batch while the U-Net predicts the next.
        if refiner is None:
            restored = predicted(todo)
            rows = imaging.bounded_map(lambda item: encode(restore(item)), restored, workers, window=2 * batch_size)
        else:
            restored = imaging.bounded_map(restore, predicted(todo), 1, window=batch_size)
            rows = imaging.bounded_map(encode, restored, workers, window=2 * batch_size)
        yield from tqdm(rows, total=len(todo), desc="submission", unit="img", mininterval=2)
        if unreadable:
            log.warning("%d unreadable test images got empty masks: %s", len(unreadable), ", ".join(unreadable[:20]))

    return SubmissionRows(names, produce)
