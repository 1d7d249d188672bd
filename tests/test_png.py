"""The PNG writer: every decoder must read back exactly the pixels it was given."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from carvana_unet.png import encode_png

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("shape", [(37, 53), (37, 53, 1), (1, 1, 3), (1, 9, 4), (9, 1, 4), (64, 96, 3), (64, 96, 4)])
def test_pixels_round_trip_through_pillow_and_opencv(shape):
    pixels = RNG.integers(0, 256, shape, dtype=np.uint8)
    data = encode_png(pixels)
    expected = pixels.reshape(shape[:2]) if len(shape) == 2 or shape[2] == 1 else pixels
    with Image.open(io.BytesIO(data)) as image:  # Pillow checks every chunk's CRC
        assert image.format == "PNG"
        np.testing.assert_array_equal(np.asarray(image), expected)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if expected.ndim == 3:
        decoded = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB if shape[2] == 3 else cv2.COLOR_BGRA2RGBA)
    np.testing.assert_array_equal(decoded, expected)


def test_a_cutout_compresses_as_well_as_libpng():
    """A car on a transparent black background, as predict writes it: no bigger than libpng's level 1."""
    rows, cols = np.mgrid[:256, :384]
    car = ((rows - 150) / 80) ** 2 + ((cols - 190) / 150) ** 2 < 1
    photo = RNG.integers(90, 110, (256, 384, 3), dtype=np.uint8) + (cols[..., None] // 8).astype(np.uint8)
    cutout = np.dstack([photo * car[..., None], car * np.uint8(255)]).astype(np.uint8)
    ok, libpng = cv2.imencode(".png", cutout, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    assert ok
    assert len(encode_png(cutout)) < 1.1 * len(libpng)


@pytest.mark.parametrize(
    "pixels", [np.zeros((4, 4), np.uint16), np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4), np.uint8)]
)
def test_what_png_cannot_hold_is_refused(pixels):
    with pytest.raises(ValueError, match="uint8 grey, RGB or RGBA"):
        encode_png(pixels)
