"""tf.data over the memory-mapped cache: shuffle, augment on the fly in parallel, batch, prefetch."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from carvana_unet.augment import apply


def make_dataset(images: np.ndarray, masks: np.ndarray, rows: np.ndarray, batch_size: int,
                 transform=None, shuffle: bool = False, seed: int = 0) -> tf.data.Dataset:
    """Batches of (image float32 in [0, 1], mask float32 (H, W, 1)) for the given cache rows.

    Augmentation runs in `numpy_function` calls mapped in parallel, so each epoch
    draws fresh transforms while the model trains on the previous batch.
    """
    height, width = images.shape[1:3]

    def load(row):
        image, mask = images[row], masks[row]
        if transform is not None:
            image, mask = apply(transform, np.ascontiguousarray(image), np.ascontiguousarray(mask))
        return image, mask

    def fetch(row):
        image, mask = tf.numpy_function(load, [row], [tf.uint8, tf.uint8], stateful=transform is not None)
        image = tf.ensure_shape(image, (height, width, 3))
        mask = tf.ensure_shape(mask, (height, width))
        return tf.cast(image, tf.float32) / 255.0, tf.cast(mask, tf.float32)[..., None]

    dataset = tf.data.Dataset.from_tensor_slices(np.asarray(rows, dtype=np.int64))
    if shuffle:
        dataset = dataset.shuffle(len(rows), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(fetch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def predict_probabilities(model, images: np.ndarray, rows: np.ndarray, batch_size: int, flip_tta: bool = False):
    """Yield (row, probability map (H, W)) batch by batch, optionally averaging with the mirrored image."""
    for start in range(0, len(rows), batch_size):
        batch_rows = rows[start:start + batch_size]
        batch = images[batch_rows].astype(np.float32) / 255.0
        yield from zip(batch_rows, predict_batch(model, batch, flip_tta))


def predict_batch(model, batch: np.ndarray, flip_tta: bool = False) -> np.ndarray:
    """Probabilities (N, H, W) for a float batch (N, H, W, 3) in [0, 1]."""
    probabilities = model.predict_on_batch(batch)[..., 0]
    if flip_tta:
        mirrored = model.predict_on_batch(batch[:, :, ::-1])[..., 0][:, :, ::-1]
        probabilities = (probabilities + mirrored) / 2.0
    return np.asarray(probabilities, dtype=np.float32)
