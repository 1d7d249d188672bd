"""Pixel work shared by ingestion, evaluation and submission: checks, resizing both ways."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import cv2
import numpy as np
import simplejpeg
from PIL import Image

ASPECT_MODES = ("stretch", "pad")
FAST_JPEG_COLOURSPACES = ("YCbCr", "Gray", "RGB")  # CMYK: libjpeg-turbo's RGB is a level off Pillow's
T = TypeVar("T")
R = TypeVar("R")


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """RGB uint8 pixels; an RGB image is not converted, which would copy it whole first."""
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"), dtype=np.uint8)


def decode(data: bytes) -> np.ndarray:
    """RGB uint8 pixels of an image file's bytes, at full size, as stored (no EXIF turn).

    A JPEG goes to libjpeg-turbo through its own API (simplejpeg), which decodes straight into the
    array: the same pixels as Pillow, which wraps the same library, in about 40% of the time
    (Pillow decodes into a buffer of its own that numpy then copies). Whatever simplejpeg refuses
    (other formats, CMYK, a JPEG with any error, even one libjpeg would recover from) goes to
    Pillow, which accepts or rejects it as it always did.
    """
    return _decode(data, 1)


def decode_to_model_size(data: bytes, height: int, width: int, aspect: str) -> tuple[np.ndarray, tuple[int, int]]:
    """An image file's bytes decoded straight to about the model's input, then resized there; also its
    full (height, width). Ingestion makes the training photos this way, and every door to the model
    (submission, predict, the served model) makes its inputs the same way.

    A JPEG is decoded at 1/2, 1/4 or 1/8 of its size by libjpeg's DCT scaling, which averages 8x8
    blocks as area resizing does: at Kaggle's size, 5 ms against 15 for a full decode and an area
    resize. The scale is the largest that keeps the image at least the model's size (Pillow's draft
    rule), whichever decoder runs; other formats are decoded whole.
    """
    full_h, full_w = image_size(data)
    if aspect == "pad":
        height_in, width_in = _fit(full_h, full_w, height, width)[:2]
    else:
        height_in, width_in = height, width
    most = min(full_w // width_in, full_h // height_in)
    scale = next((s for s in (8, 4, 2, 1) if most >= s), 1)
    pixels = _decode(data, scale, (width_in, height_in))
    return to_model_size(pixels, height, width, aspect, fit_from=(full_h, full_w)), (full_h, full_w)


def image_size(data: bytes) -> tuple[int, int]:
    """(height, width) of an image file's bytes, from its header."""
    if simplejpeg.is_jpeg(data):
        try:
            return simplejpeg.decode_jpeg_header(data)[:2]
        except ValueError:
            pass
    with Image.open(io.BytesIO(data)) as image:
        return image.height, image.width


def _decode(data: bytes, scale: int, draft_size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode at 1/scale by simplejpeg when it can, else by Pillow, asking its draft for `draft_size`."""
    if simplejpeg.is_jpeg(data):
        try:
            full_h, full_w, colourspace, _ = simplejpeg.decode_jpeg_header(data)
            if colourspace in FAST_JPEG_COLOURSPACES:
                height, width = -(-full_h // scale), -(-full_w // scale)  # libjpeg's scaled size rounds up
                pixels = simplejpeg.decode_jpeg(data, colorspace="RGB", min_height=height, min_width=width)
                if pixels.shape[:2] == (height, width):  # the scale asked for, not another of libjpeg-turbo's
                    return pixels
        except ValueError:
            pass
    with Image.open(io.BytesIO(data)) as image:
        if scale > 1:
            image.draft("RGB", draft_size)  # the same scale: a no-op for formats without scaled decoding
        return to_rgb_array(image)


def to_mask_array(image: Image.Image) -> np.ndarray:
    """A mask as 0/1: Kaggle's palette GIFs by index, or greyscale/bilevel GIF or PNG holding 0/1 or 0/255.

    Anything else (a colour mask, grey levels in between) raises ValueError saying what it holds.
    """
    if image.mode not in ("P", "L", "1"):
        raise ValueError(f"a {image.mode} mask: save masks as greyscale PNG (0/255 or 0/1) or palette GIF (0/1)")
    array = np.asarray(image.convert("L") if image.mode == "1" else image)
    values = set(np.unique(array).tolist())
    if values <= {0, 1}:
        return array.astype(np.uint8)
    if image.mode == "P" and values <= {0, 255}:  # a GIF written from a 0/255 image keeps those indices
        return (array // 255).astype(np.uint8)
    if image.mode == "P":  # indices into a palette: read them as the grey they show
        array = np.asarray(image.convert("L"))
        values = set(np.unique(array).tolist())
    if values <= {0, 255}:
        return (array // 255).astype(np.uint8)
    raise ValueError(f"mask is not binary (values {sorted(values)[:6]}): a mask must hold 0/1 or 0/255")


COVERAGE_SCALE = 255  # a soft target's uint8 value for a fully covered pixel


def _fit(height: int, width: int, target_h: int, target_w: int) -> tuple[int, int, int, int]:
    """Scaled size and top/left offsets that fit (height, width) inside the target, aspect kept."""
    scale = min(target_h / height, target_w / width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    return new_h, new_w, (target_h - new_h) // 2, (target_w - new_w) // 2


def to_model_size(
    array: np.ndarray,
    height: int,
    width: int,
    aspect: str,
    is_mask: bool = False,
    coverage: bool = False,
    fit_from: tuple[int, int] | None = None,
) -> np.ndarray:
    """Resize an image or mask to the model input: `stretch` to fill it or `pad` to keep the aspect.

    `fit_from` is the full (height, width) of an array decoded smaller: `pad` lays the image
    out as `to_original_size` will undo it, from the full size, not from the rounded smaller one.

    A mask is area-averaged and thresholded at half, so each small pixel is on when most of
    its block is. cv2.INTER_NEAREST would sample each block's corner instead, shifting the
    mask half a block down and right of the image (5 full-size pixels at 1918 -> 192).
    With `coverage`, a mask keeps that average instead, as uint8 0..COVERAGE_SCALE (soft targets).
    """
    if aspect not in ASPECT_MODES:
        raise ValueError(f"aspect must be one of {ASPECT_MODES}, got {aspect!r}")
    source = array.astype(np.float32) if is_mask else array
    if aspect == "stretch":
        out = cv2.resize(source, (width, height), interpolation=cv2.INTER_AREA)
    else:
        new_h, new_w, top, left = _fit(*(fit_from or array.shape[:2]), height, width)
        out = np.zeros((height, width) + array.shape[2:], dtype=source.dtype)
        out[top : top + new_h, left : left + new_w] = cv2.resize(source, (new_w, new_h), interpolation=cv2.INTER_AREA)
    if is_mask and coverage:
        return np.round(out * COVERAGE_SCALE).astype(np.uint8)
    return (out >= 0.5).astype(array.dtype) if is_mask else out


def to_original_size(probabilities: np.ndarray, height: int, width: int, aspect: str) -> np.ndarray:
    """Undo `to_model_size` on a probability map: crop any padding, then bilinear upscale."""
    prob = np.asarray(probabilities, dtype=np.float32).squeeze()
    if aspect == "pad":
        new_h, new_w, top, left = _fit(height, width, *prob.shape)
        prob = prob[top : top + new_h, left : left + new_w]
    return cv2.resize(prob, (width, height), interpolation=cv2.INTER_LINEAR)


def bounded_map(func: Callable[[T], R], items: Iterable[T], workers: int, window: int = 0) -> Iterator[R]:
    """Like ``map`` over a thread pool, in order, holding at most `window` results in flight."""
    window = window or 2 * workers
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) >= window:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


@contextmanager
def opencv_in_calling_threads() -> Iterator[None]:
    """OpenCV's own thread pool off for the block, its previous size restored after.

    For work that already runs photo by photo in threads of its own: there, OpenCV's workers add
    no speed and spin between calls, taking CPU the other threads need (predict on 2 cores: about
    4 ms of CPU a photo, 7% of its throughput). The setting is OpenCV's, for the whole process, hence the block.
    """
    threads = cv2.getNumThreads()
    cv2.setNumThreads(0)
    try:
        yield
    finally:
        cv2.setNumThreads(threads)
