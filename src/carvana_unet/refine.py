"""Full-resolution refinement: re-predict only the band where the upscaled mask is uncertain.

The U-Net sees the photo at a tenth of its size, so its upscaled probability is a blur about 20
full-size pixels wide along every edge. A small fully convolutional network takes the full-size
photo and that probability on square tiles covering the band and corrects the probability's
logit there; everything outside the band keeps the U-Net's answer. Memory and time grow with
the length of the car's outline, not with the image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import keras
import numpy as np
from keras import layers, ops

EPSILON = 1e-4  # probabilities are clipped to [EPSILON, 1 - EPSILON] before their logit


@keras.saving.register_keras_serializable(package="carvana_unet")
class Logit(layers.Layer):
    """log(p / (1 - p)) of a probability map, clipped so that 0 and 1 stay finite."""

    def call(self, probabilities: keras.KerasTensor) -> keras.KerasTensor:
        p = ops.clip(probabilities, EPSILON, 1.0 - EPSILON)
        return ops.log(p) - ops.log(1.0 - p)


def build_refiner(filters: int = 8, dilations: tuple[int, ...] = (1, 2, 4)) -> keras.Model:
    """Photo (H, W, 3) in [0, 1] and coarse probability (H, W, 1) in, refined probability out.

    A correction added to the coarse logit, its last layer zero at the start: an untrained
    refiner returns the coarse probability unchanged, so training only ever has to learn the fix.
    Dilated 3x3 convolutions see sum(dilations) pixels each way at a few thousand operations a pixel.
    """
    photo = keras.Input((None, None, 3), name="photo")
    coarse = keras.Input((None, None, 1), name="coarse")
    x = layers.Concatenate(name="inputs")([photo, coarse])
    for i, rate in enumerate(dilations):
        x = layers.Conv2D(filters, 3, padding="same", dilation_rate=rate, activation="relu", name=f"refine{i}")(x)
    correction = layers.Conv2D(1, 1, kernel_initializer="zeros", name="correction")(x)
    logit = layers.Add(name="refined_logit")([Logit(name="coarse_logit")(coarse), correction])
    return keras.Model([photo, coarse], layers.Activation("sigmoid", dtype="float32", name="refined")(logit))


def reach(model: keras.Model) -> int:
    """How many pixels each way a refiner's output depends on: the margin its tiles need."""
    convolutions = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]
    return sum(layer.dilation_rate[0] * (layer.kernel_size[0] // 2) for layer in convolutions)


def uncertain(probabilities: np.ndarray, band: float) -> np.ndarray:
    """Pixels whose probability is neither near 0 nor near 1 (band < p < 1 - band): the blurred outline.

    Compared in float32. A full-size map goes through one multithreaded cv2.inRange, ~10 ms a photo
    faster than numpy; inRange keeps both bounds, so they are nudged one float32 step inward.
    """
    values = np.asarray(probabilities, dtype=np.float32)
    if values.ndim != 2:  # a batch of crops: inRange reads a third axis as channels
        return (values > np.float32(band)) & (values < np.float32(1 - band))
    low = float(np.nextafter(np.float32(band), np.float32(1)))
    high = float(np.nextafter(np.float32(1 - band), np.float32(0)))
    return (cv2.inRange(values, low, high) // 255).view(bool)


def tile_corners(band_pixels: np.ndarray, tile: int) -> np.ndarray:
    """(row, column) of the top-left corner of every tile x tile square holding a band pixel."""
    height, width = band_pixels.shape
    rows, cols = -(-height // tile), -(-width // tile)
    padded = np.zeros((rows * tile, cols * tile), dtype=np.uint8)
    padded[:height, :width] = band_pixels
    hit = padded.reshape(rows, tile, cols, tile).max(axis=(1, 3))
    return np.argwhere(hit) * tile


@dataclass(frozen=True)
class Refiner:
    """A trained refiner and how it is applied: the band's bounds, the tile size, tiles per batch."""

    model: keras.Model
    band: float = 0.02
    tile: int = 64
    batch_size: int = 64

    def config(self) -> dict[str, Any]:
        return {"band": self.band, "tile": self.tile, "batch_size": self.batch_size}

    def refine(self, photo: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """The full-size probability with the uncertain band re-predicted from the full-size photo."""
        band_pixels = uncertain(probabilities, self.band)
        corners = tile_corners(band_pixels, self.tile)
        refined = probabilities.copy()
        margin = reach(self.model)
        for start in range(0, len(corners), self.batch_size):
            chunk = corners[start : start + self.batch_size]
            rows, cols = windows(chunk, self.tile + 2 * margin, margin, probabilities.shape)
            inputs = [photo[rows, cols].astype(np.float32) / np.float32(255), probabilities[rows, cols][..., None]]
            # Keras traces the predict function again for a new number of tiles only until it has
            # seen two, then generalises the batch size. A plain call runs eagerly: 3x slower here.
            out = np.asarray(self.model.predict_on_batch(inputs))[:, margin:, margin:, 0]
            for tile_out, (row, col) in zip(out, chunk, strict=True):
                area = (slice(row, row + self.tile), slice(col, col + self.tile))  # clipped at the image's edge
                in_band = band_pixels[area]
                inner = tile_out[: in_band.shape[0], : in_band.shape[1]]
                np.copyto(refined[area], inner, where=in_band)
        return refined


def windows(corners: np.ndarray, size: int, margin: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices (N, size, 1) and (N, 1, size) of the size x size windows starting `margin`
    before each corner: array[rows, cols] gathers them all at once, indices past the edge clipped to it
    (the edge's values repeated, as np.pad's "edge" mode)."""
    steps = np.arange(size) - margin
    rows = np.clip(corners[:, 0, None] + steps, 0, shape[0] - 1)
    cols = np.clip(corners[:, 1, None] + steps, 0, shape[1] - 1)
    return rows[:, :, None], cols[:, None, :]
