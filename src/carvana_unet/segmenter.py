"""The trained model with its pre- and post-processing: any photo in, a full-size mask out.

One code path for every door: the predict pipeline, `carvana-unet predict`, and the MLflow
model that `mlflow models serve` runs all call `Segmenter.read` and `Segmenter.masks`; the submission
reads with `Segmenter.stored` (as ingestion reads, no EXIF turn) and calls `probabilities` and `mask`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import keras
import numpy as np
from PIL import Image, ImageColor, ImageOps

from carvana_unet import imaging
from carvana_unet.input_pipeline import predict_batch
from carvana_unet.refine import Refiner

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Photo:
    """A photo's upright (height, width), the model's input made from it and, when needed, its full-size pixels."""

    size: tuple[int, int]
    model_input: np.ndarray
    pixels: np.ndarray | None = None


@dataclass(frozen=True)
class Segmenter:
    """A model and what turns its output into a mask: the aspect handling it was trained with,
    the threshold evaluation chose, optional flip test-time augmentation, and the refiner that
    re-predicts the outline from the full-size photo (None: the U-Net's upscaled mask)."""

    model: keras.Model
    threshold: float
    aspect: str = "stretch"
    flip_tta: bool = False
    refiner: Refiner | None = None

    def read(self, source: Path | bytes, pixels: bool = True) -> Photo:
        """A photo file or its bytes. A JPEG stored upright reaches the model exactly as ingestion made the
        training photos: decoded straight to about the model's size (`imaging.decode_to_model_size`). Its
        full-size pixels are decoded only when asked for or when the refiner needs them; other photos are
        decoded whole, turned upright and shrunk."""
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        if not is_upright_jpeg(data):
            return self.photo(open_photo(data))
        return self.stored(data, pixels)

    def stored(self, data: bytes, pixels: bool = True) -> Photo:
        """A photo's bytes as stored, with no EXIF turn: the grid Kaggle's masks are drawn on, read as
        ingestion reads the training photos (the submission reads its test JPEGs so)."""
        height, width = self.model.input_shape[1:3]
        small, size = imaging.decode_to_model_size(data, height, width, self.aspect)
        return Photo(size, small, imaging.decode(data) if pixels or self.refiner is not None else None)

    def photo(self, pixels: np.ndarray) -> Photo:
        """A photo held as RGB pixels: the model's input is shrunk from them."""
        height, width = self.model.input_shape[1:3]
        small = imaging.to_model_size(pixels, height, width, self.aspect)
        return Photo(pixels.shape[:2], small, pixels)

    def masks(self, photos: list[Photo]) -> list[np.ndarray]:
        """0/1 uint8 masks, each at its photo's own size (any size and aspect)."""
        return [self.mask(photo, small) for photo, small in zip(photos, self.probabilities(photos), strict=True)]

    def probabilities(self, photos: list[Photo]) -> np.ndarray:
        """The U-Net's probability maps at its input size, for a batch of photos."""
        if not photos:
            return np.zeros((0, *self.model.input_shape[1:3]), np.float32)
        batch = np.stack([p.model_input for p in photos]).astype(np.float32) / 255
        return predict_batch(self.model, batch, self.flip_tta)

    def mask(self, photo: Photo, probabilities: np.ndarray) -> np.ndarray:
        """One photo's 0/1 uint8 mask at its own size: its map upscaled, refined when on, thresholded."""
        full_size = imaging.to_original_size(probabilities, *photo.size, self.aspect)
        if self.refiner is not None:
            full_size = self.refiner.refine(photo.pixels, full_size, in_place=True)  # its own array: no copy
        # numpy's bools are 0/1 bytes: a view, not a second full-size array.
        return (full_size > self.threshold).view(np.uint8)


def open_photo(source: Path | bytes) -> np.ndarray:
    """RGB uint8 pixels of a photo file or its bytes, upright as its EXIF orientation says.

    Greyscale, RGBA (alpha dropped), CMYK and 16-bit images are converted; a 16-bit image is
    scaled to 8 bits rather than clipped, which would turn it white.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if is_upright_jpeg(data):
        return imaging.decode(data)  # libjpeg-turbo straight into numpy, or Pillow if it refuses
    with Image.open(io.BytesIO(data)) as opened:
        # exif_transpose and convert copy the image even when there is nothing to do: two full-size copies,
        # which cost about as much as decoding the JPEG.
        image = opened if _upright(opened) else ImageOps.exif_transpose(opened)
        if image.mode.startswith("I"):  # 16- or 32-bit greyscale
            grey = np.asarray(image, dtype=np.float64)
            top = 65535.0 if grey.max() > 255 else 255.0
            return np.repeat((grey / top * 255).round().astype(np.uint8)[..., None], 3, axis=2)
        return imaging.to_rgb_array(image)


def is_upright_jpeg(data: bytes) -> bool:
    """A JPEG stored upright (no EXIF turn): its pixels decode straight from its bytes, at full size or
    at the model's, as ingestion decodes the training photos."""
    with Image.open(io.BytesIO(data)) as image:  # reads the header only
        return image.format == "JPEG" and _upright(image)


def _upright(image: Image.Image) -> bool:
    return image.getexif().get(EXIF_ORIENTATION, 1) == 1


def cutout(photo: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """RGBA: the car as photographed, the background transparent and black.

    Black, not the studio behind it: no viewer shows it, and runs of zeros make the full-size PNG
    encode about 6x faster and 6x smaller.
    """
    opaque = cv2.cvtColor(photo, cv2.COLOR_RGB2RGBA)
    # 3x OpenCV's split and merge, 7x numpy's; a 0/1 uint8 mask (the Segmenter's) is used as it is.
    return cv2.bitwise_and(opaque, opaque, mask=mask.astype(np.uint8, copy=False))


def cutout_box(photo: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """The cut-out within the mask's bounding box and the box's top-left corner (row, column): all of the
    cut-out that is not zero (on the synthetic cars, about 40% of the frame). An empty mask gives one zero pixel."""
    left, top, width, height = cv2.boundingRect(mask.astype(np.uint8, copy=False))
    if not width:
        return np.zeros((1, 1, 4), np.uint8), (0, 0)
    box = np.s_[top : top + height, left : left + width]
    return cutout(photo[box], mask[box]), (top, left)


def composite(photo: np.ndarray, mask: np.ndarray, background: str) -> np.ndarray:
    """The car on `background`: a colour PIL understands ('white', '#00b140') or an image file, stretched."""
    height, width = mask.shape
    if Path(background).is_file():
        with Image.open(background) as image:
            backdrop = np.asarray(image.convert("RGB").resize((width, height)), dtype=np.uint8)
    else:
        try:
            backdrop = np.empty((height, width, 3), np.uint8)
            backdrop[:] = ImageColor.getrgb(background)[:3]
        except ValueError:
            raise ValueError(
                f"background {background!r} is neither an image file nor a colour name or #rrggbb"
            ) from None
    return np.where(mask[..., None].astype(bool), photo, backdrop)


def find_photos(source: Path) -> list[Path]:
    """`source` itself if it is a file, else the photos in the folder (not its subfolders), sorted."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is neither a photo nor a folder")
    return sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
