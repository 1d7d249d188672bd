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
from carvana_unet.layout import CarvanaDataError
from carvana_unet.pipelines.ingestion.params import IngestionParams
from carvana_unet.pipelines.submission.params import SubmissionParams
from carvana_unet.pipelines.training.params import RefinementParams
from carvana_unet.segmenter import Photo, Segmenter
from carvana_unet.submission import Row, SubmissionRows

log = logging.getLogger(__name__)
Loaded = tuple[str, Photo | None]  # None: unreadable
Predicted = tuple[str, Photo | None, np.ndarray | None]  # and the U-Net's probabilities at its input size
Masked = tuple[str, np.ndarray | None]  # the 0/1 mask at the photo's size


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
    memory holds only a few batches. The masks come from the `Segmenter` that predict and the served
    model use; only reading differs: a test JPEG's stored pixels are read as ingestion read the
    training photos (no EXIF turn, the grid Kaggle's masks are drawn on), decoded straight to the
    model's size, and, with refinement, at full size too.
    """
    names = sample_submission["img"].astype(str).tolist()
    missing = [n for n in names if n.removesuffix(".jpg") not in test_images]
    if missing:
        raise CarvanaDataError(
            f"{len(missing)} images of sample_submission.csv are not in the test folder, "
            f"e.g. {missing[:3]}: check globals test_images_folder and raw_dir"
        )
    refiner = refinement.refiner(refiner_model)
    segmenter = Segmenter(model, threshold["threshold"], ingestion.aspect, options.flip_tta, refiner)
    batch_size, workers = options.batch_size, options.workers
    unreadable: list[str] = []

    def load(name: str) -> Loaded:
        try:
            return name, segmenter.stored(test_images[name.removesuffix(".jpg")](), pixels=False)
        except Exception as error:  # noqa: BLE001 - any decoder failure means the file is unusable
            if options.on_unreadable != "empty":
                raise CarvanaDataError(
                    f"test image {name} is unreadable or truncated ({error}): replace it, or set "
                    "submission.on_unreadable: empty to submit an empty mask for it"
                ) from None
            unreadable.append(name)
            return name, None

    def predicted(todo: list[str]) -> Iterator[Predicted]:
        loaded = imaging.bounded_map(load, todo, workers, window=2 * batch_size)
        while batch := list(islice(loaded, batch_size)):
            maps = iter(segmenter.probabilities([photo for _, photo in batch if photo is not None]))
            for name, photo in batch:
                yield name, photo, (next(maps) if photo is not None else None)

    def mask(item: Predicted) -> Masked:
        """The full-size mask, refined when on: in one thread of its own, beside the U-Net."""
        name, photo, probabilities = item
        return name, (None if photo is None else segmenter.mask(photo, probabilities))

    def encode(item: Masked) -> Row:
        name, full_size = item
        if full_size is None:
            return name, "", 1, 1
        return name, rle.encode(full_size), *full_size.shape

    def produce(done: set[str]) -> Iterator[Row]:
        todo = [n for n in names if n not in done]
        if done:
            log.info("resuming submission: %d of %d images already written", len(done), len(names))
        # Without refinement, the mask is cheap and is made in the encoding threads; with it, the refiner
        # (a Keras model, called from one thread only) works on one batch while the U-Net predicts the next.
        # OpenCV's own pool off, as in predict: the photos already go through threads of their own, and the
        # pool's idle workers spin (with the refiner, 1-1.5 ms of CPU a photo on 2 cores).
        with imaging.opencv_in_calling_threads():
            if refiner is None:
                rows = imaging.bounded_map(
                    lambda item: encode(mask(item)), predicted(todo), workers, window=2 * batch_size
                )
            else:
                masks = imaging.bounded_map(mask, predicted(todo), 1, window=batch_size)
                rows = imaging.bounded_map(encode, masks, workers, window=2 * batch_size)
            yield from tqdm(rows, total=len(todo), desc="submission", unit="img", mininterval=2)
        if unreadable:
            log.warning("%d unreadable test images got empty masks: %s", len(unreadable), ", ".join(unreadable[:20]))

    return SubmissionRows(names, produce)
