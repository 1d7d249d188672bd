"""tf.data over the memory-mapped cache: seeded shuffle, parallel on-the-fly augmentation, batch, prefetch."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from carvana_unet.augment import SeededAugmentation


@dataclass(frozen=True)
class TrainingFeed:
    """Training batches for any run of epochs, each epoch a pure function of (seed, epoch).

    The shuffle order and every augmentation draw are fixed by the seed, the epoch and the
    sample, not by thread timing or by how many epochs ran before: two runs, or a run resumed
    after a kill, see the same batches. `deterministic=False` lets the parallel map hand
    batches over in the order they finish (faster on some machines, not reproducible).
    """

    images: np.ndarray
    masks: np.ndarray
    rows: np.ndarray
    batch_size: int
    augmentation: SeededAugmentation | None = None
    seed: int = 0
    deterministic: bool = True
    mask_scale: int = 1  # the mask value of a fully covered pixel (255 for soft targets)
    shard: tuple[int, int] = (0, 1)  # (worker, workers): each worker feeds every workers-th image of a batch

    @property
    def steps_per_epoch(self) -> int:
        # Across workers the last, partial batch is dropped: a worker could get no image of it.
        return (math.ceil if self.shard[1] == 1 else math.floor)(len(self.rows) / self.batch_size)

    def epoch_order(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, epoch]).permutation(np.asarray(self.rows, dtype=np.int64))

    def dataset(self, first_epoch: int, epochs: int) -> tf.data.Dataset:
        """Batches for epochs first_epoch .. epochs-1, one after another (steps_per_epoch each)."""
        epoch_ids = np.arange(first_epoch, epochs, dtype=np.int64)
        orders = np.stack([self.epoch_order(e) for e in epoch_ids]) if len(epoch_ids) else np.zeros((0, 1), np.int64)
        worker, workers = self.shard
        batches = tf.data.Dataset.from_tensor_slices((epoch_ids, orders)).flat_map(
            lambda epoch, order: (
                tf.data.Dataset.from_tensor_slices(order)
                .batch(self.batch_size, drop_remainder=workers > 1)
                .map(lambda batch: (epoch, batch[worker::workers]))
            )
        )
        fetch = _batch_fetcher(self.images, self.masks, self.augmentation, self.mask_scale)
        return batches.map(fetch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=self.deterministic).prefetch(
            tf.data.AUTOTUNE
        )


def validation_dataset(
    images: np.ndarray, masks: np.ndarray, rows: np.ndarray, batch_size: int, mask_scale: int = 1
) -> tf.data.Dataset:
    """The given rows once, in order, unaugmented."""
    batches = tf.data.Dataset.from_tensor_slices(np.asarray(rows, dtype=np.int64)).batch(batch_size)
    fetch = _batch_fetcher(images, masks, None, mask_scale)
    return batches.map(lambda batch: fetch(0, batch), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(
        tf.data.AUTOTUNE
    )


def _batch_fetcher(
    images: np.ndarray, masks: np.ndarray, augmentation: SeededAugmentation | None, mask_scale: int
) -> Callable[[tf.Tensor, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]:
    """A tf.data map function: (epoch, cache rows) -> (images float32 in [0, 1], masks (N, H, W, 1) in [0, 1])."""
    height, width = images.shape[1:3]

    def load(epoch: np.int64, batch_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pairs = [(images[row], masks[row]) for row in batch_rows]
        if augmentation is not None:
            pairs = [
                augmentation(np.ascontiguousarray(image), np.ascontiguousarray(mask), int(epoch), int(row))
                for (image, mask), row in zip(pairs, batch_rows)
            ]
        return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])

    def fetch(epoch: tf.Tensor, batch_rows: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        image, mask = tf.numpy_function(load, [epoch, batch_rows], [tf.uint8, tf.uint8], stateful=False)
        image = tf.ensure_shape(image, (None, height, width, 3))
        mask = tf.ensure_shape(mask, (None, height, width))
        return tf.cast(image, tf.float32) / 255.0, (tf.cast(mask, tf.float32) / mask_scale)[..., None]

    return fetch


def predict_probabilities(
    model: keras.Model, images: np.ndarray, rows: np.ndarray, batch_size: int, flip_tta: bool = False
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (row, probability map (H, W)) batch by batch, optionally averaging with the mirrored image."""
    for start in range(0, len(rows), batch_size):
        batch_rows = rows[start : start + batch_size]
        batch = images[batch_rows].astype(np.float32) / 255.0
        yield from zip(batch_rows, predict_batch(model, batch, flip_tta))


def predict_batch(model: keras.Model, batch: np.ndarray, flip_tta: bool = False) -> np.ndarray:
    """Probabilities (N, H, W) for a float batch (N, H, W, 3) in [0, 1]."""
    probabilities = model.predict_on_batch(batch)[..., 0]
    if flip_tta:
        mirrored = model.predict_on_batch(batch[:, :, ::-1])[..., 0][:, :, ::-1]
        probabilities = (probabilities + mirrored) / 2.0
    return np.asarray(probabilities, dtype=np.float32)
