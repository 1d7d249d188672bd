"""Full-resolution refinement: re-predict only the band where the upscaled mask is uncertain.

The U-Net sees the photo at a tenth of its size, so its upscaled probability is a blur about 20
full-size pixels wide along every edge. A small fully convolutional network takes the full-size
photo and that probability on windows covering the band and corrects the probability's
logit there; everything outside the band keeps the U-Net's answer. Memory and time grow with
the length of the car's outline, not with the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import keras
import numpy as np
from keras import layers, ops

EPSILON = 1e-4  # probabilities are clipped to [EPSILON, 1 - EPSILON] before their logit
# Canvas widths are rounded up to a multiple of this: oneDNN compiles kernels for each new input
# shape (up to about 45 ms each), and with a width of its own for every photo it would never stop.
CANVAS_WIDTH_STEP = 1024


@keras.saving.register_keras_serializable(package="carvana_unet")
class Logit(layers.Layer):
    """log(p / (1 - p)) of a probability map, clipped so that 0 and 1 stay finite."""

    def call(self, probabilities: keras.KerasTensor) -> keras.KerasTensor:
        p = ops.clip(probabilities, EPSILON, 1.0 - EPSILON)
        return ops.log(p) - ops.log(1.0 - p)


def build_refiner(
    filters: int = 8, dilations: tuple[int, ...] = (1, 2, 4), padding: str = "same", dtype: str | None = None
) -> keras.Model:
    """Photo (H, W, 3) in [0, 1] and coarse probability (H, W, 1) in, refined probability out.

    A correction added to the coarse logit, its last layer zero at the start: an untrained
    refiner returns the coarse probability unchanged, so training only ever has to learn the fix.
    Dilated 3x3 convolutions see sum(dilations) pixels each way at a few thousand operations a pixel.
    With `padding="valid"` the output is the input less `sum(dilations)` pixels on every side: each
    layer computes only what the next one reads (see `interior_refiner`). `dtype`: the layers' dtype
    policy (e.g. "mixed_float16"); None takes the global one.
    """
    photo = keras.Input((None, None, 3), name="photo")
    coarse = keras.Input((None, None, 1), name="coarse")
    x = layers.Concatenate(name="inputs", dtype=dtype)([photo, coarse])
    for i, rate in enumerate(dilations):
        x = layers.Conv2D(
            filters, 3, padding=padding, dilation_rate=rate, activation="relu", name=f"refine{i}", dtype=dtype
        )(x)
    correction = layers.Conv2D(1, 1, kernel_initializer="zeros", name="correction", dtype=dtype)(x)
    kept = layers.Cropping2D(sum(dilations), name="interior", dtype=dtype)(coarse) if padding == "valid" else coarse
    logit = layers.Add(name="refined_logit", dtype=dtype)([Logit(name="coarse_logit", dtype=dtype)(kept), correction])
    return keras.Model([photo, coarse], layers.Activation("sigmoid", dtype="float32", name="refined")(logit))


def _spatial_convolutions(model: keras.Model) -> list[layers.Conv2D]:
    """The refiner's 3x3 layers, dilated or not: the 1x1 correction sees no neighbours."""
    return [layer for layer in model.layers if isinstance(layer, layers.Conv2D) and layer.kernel_size[0] > 1]


def reach(model: keras.Model) -> int:
    """How many pixels each way a refiner's output depends on: the margin its windows need."""
    return sum(layer.dilation_rate[0] * (layer.kernel_size[0] // 2) for layer in _spatial_convolutions(model))


def interior_refiner(model: keras.Model) -> keras.Model:
    """The trained refiner with unpadded convolutions: the same output `reach` pixels inside each edge.

    Windows only keep what lies a margin inside them, yet a padded layer computes its whole input
    area. Unpadded, each layer drops its own reach: a 24-row strip costs the default refiner 28 + 26 + 24
    rows of its three layers instead of 30 each (reach 7: 36 + 32 + 24 instead of 38), 10-20% less
    time in the network, the same values (tested), in the model's own dtype policy (mixed precision too).
    """
    convolutions = _spatial_convolutions(model)
    dilations = tuple(c.dilation_rate[0] for c in convolutions)
    interior = build_refiner(convolutions[0].filters, dilations, "valid", convolutions[0].dtype_policy.name)
    interior.set_weights(model.get_weights())
    return interior


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


def band_windows(band_pixels: np.ndarray, strip: int, margin: int) -> np.ndarray:
    """(top, bottom, left, right) of the boxes to re-predict: the band cut into strips of `strip` rows,
    each strip's runs of band columns, runs closer than 2 * margin merged (their windows would overlap).

    Square tiles fit the thin, winding band badly: on the default cars, 32x32 tiles and their margins
    put 3.7 times the band's pixels through the network; 24-row strips and theirs, about 2 times.
    """
    height, width = band_pixels.shape
    tops = np.arange(0, height, strip)
    hit = np.zeros((len(tops), width), np.uint8)  # columns with band pixels, strip by strip
    whole = height // strip  # a max over a reshaped axis: 10x faster than logical_or.reduceat
    hit[:whole] = band_pixels[: whole * strip].view(np.uint8).reshape(whole, strip, width).max(axis=1)
    if whole < len(tops):
        hit[whole] = band_pixels[whole * strip :].view(np.uint8).max(axis=0)
    edges = np.diff(hit.view(np.int8), axis=1, prepend=0, append=0)
    strip_of, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]  # row-major like the starts: the k-th end closes the k-th run
    first = np.r_[True, (strip_of[1:] != strip_of[:-1]) | (starts[1:] - ends[:-1] > 2 * margin)]
    heads = np.flatnonzero(first)
    strip_of, starts, ends = strip_of[heads], starts[heads], np.maximum.reduceat(ends, heads) if len(heads) else ends
    top = tops[strip_of]
    return np.stack([top, np.minimum(top + strip, height), starts, ends], axis=1).reshape(-1, 4)


def window(array: np.ndarray, box: np.ndarray, margin: int) -> np.ndarray:
    """The box grown by `margin` cut out of `array`, indices past its edge clipped to the edge (its values
    repeated, as np.pad's "edge" mode)."""
    top, bottom, left, right = (int(v) for v in box)
    height, width = array.shape[:2]
    if top >= margin and left >= margin and bottom + margin <= height and right + margin <= width:
        return array[top - margin : bottom + margin, left - margin : right + margin]  # most boxes: a view
    rows = np.clip(np.arange(top - margin, bottom + margin), 0, height - 1)
    cols = np.clip(np.arange(left - margin, right + margin), 0, width - 1)
    return array[np.ix_(rows, cols)]


@dataclass(frozen=True)
class Refiner:
    """A trained refiner and how it is applied: the band's bounds, the rows per strip, the most window
    pixels per call into Keras."""

    model: keras.Model
    band: float = 0.02
    strip: int = 24
    pixels_per_call: int = 1 << 19
    interior: keras.Model = field(init=False, repr=False, compare=False)  # what runs: `interior_refiner(model)`

    def __post_init__(self) -> None:
        object.__setattr__(self, "interior", interior_refiner(self.model))  # frozen: set once, here

    def config(self) -> dict[str, Any]:
        return {"band": self.band, "strip": self.strip, "pixels_per_call": self.pixels_per_call}

    def refine(self, photo: np.ndarray, probabilities: np.ndarray, in_place: bool = False) -> np.ndarray:
        """The full-size probability with the uncertain band re-predicted from the full-size photo
        (written over `probabilities` itself with `in_place`, which saves a full-size copy)."""
        band_pixels = uncertain(probabilities, self.band)
        margin = reach(self.model)
        boxes = band_windows(band_pixels, self.strip, margin)
        widths = boxes[:, 3] - boxes[:, 2] + 2 * margin
        per_call = max(self.pixels_per_call // (self.strip + 2 * margin), int(widths.max(initial=0)))
        calls, start = [], 0
        while start < len(boxes):  # every window is read before any output is written back
            stop = start + max(1, int(np.searchsorted(np.cumsum(widths[start:]), per_call, side="right")))
            chunk, chunk_widths = boxes[start:stop], widths[start:stop]
            calls.append((chunk, self._predict_windows(photo, probabilities, chunk, chunk_widths, margin)))
            start = stop
        refined = probabilities if in_place else probabilities.copy()
        for call_boxes, outputs in calls:
            for (top, bottom, left, right), inner in zip(call_boxes, outputs, strict=True):
                np.copyto(refined[top:bottom, left:right], inner, where=band_pixels[top:bottom, left:right])
        return refined

    def _predict_windows(
        self, photo: np.ndarray, probabilities: np.ndarray, boxes: np.ndarray, widths: np.ndarray, margin: int
    ) -> list[np.ndarray]:
        """The refined probability inside each box, from one call into Keras (`widths`: its windows').

        The windows (each box grown by `margin`) sit side by side on one canvas, a single image for the
        network: each output kept lies `margin` inside its own window, so it never sees its neighbours,
        and one wide image runs no slower a pixel than a batch of small ones.
        """
        offsets = np.r_[0, np.cumsum(widths)]
        width = -(-offsets[-1] // CANVAS_WIDTH_STEP) * CANVAS_WIDTH_STEP
        canvas_photo = np.zeros((1, self.strip + 2 * margin, width, 3), np.uint8)
        canvas_coarse = np.zeros((1, self.strip + 2 * margin, width, 1), np.float32)
        for box, left in zip(boxes, offsets, strict=False):
            pixels = window(photo, box, margin)
            area = (slice(0, pixels.shape[0]), slice(left, left + pixels.shape[1]))
            canvas_photo[0][area] = pixels
            canvas_coarse[0, ..., 0][area] = window(probabilities, box, margin)
        inputs = [canvas_photo.astype(np.float32) / np.float32(255), canvas_coarse]
        # Keras traces its predict function again for a new canvas shape only until it has seen two,
        # then generalises it. A plain call runs eagerly: 3x slower here. The output starts `margin` in.
        out = np.asarray(self.interior.predict_on_batch(inputs))[0, ..., 0]
        return [
            out[: bottom - top, offset : offset + right - left]
            for (top, bottom, left, right), offset in zip(boxes, offsets, strict=False)
        ]
