"""The PNG writer: every decoder must read back exactly the pixels it was given."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from carvana_unet.png import encode_png
from carvana_unet.segmenter import cutout, cutout_box

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


@pytest.mark.parametrize("corner", [(0, 0), (5, 7), (27, 40), (0, 40), (27, 0)])  # inside and on every edge
@pytest.mark.parametrize("channels", [1, 4])
def test_pixels_placed_in_zeros_encode_as_the_whole_image_would(corner, channels):
    """A box written at its place in an image of zeros: the same bytes as the whole image, so the same pixels."""
    box = RNG.integers(1, 256, (10, 13, channels), dtype=np.uint8)
    whole = np.zeros((37, 53, channels), np.uint8)
    whole[corner[0] : corner[0] + 10, corner[1] : corner[1] + 13] = box
    assert encode_png(box, (37, 53), corner) == encode_png(whole)


@pytest.mark.parametrize("corner", [(28, 0), (0, 41), (-1, 0)])
def test_a_box_outside_its_image_is_refused(corner):
    with pytest.raises(ValueError, match="do not fit in a 37x53 image"):
        encode_png(np.ones((10, 13, 4), np.uint8), (37, 53), corner)


@pytest.mark.parametrize(
    ("car", "box_shape"), [(np.s_[3:9, 20:30], (6, 10)), (np.s_[0:37, 0:53], (37, 53)), (np.s_[0:0, 0:0], (1, 1))]
)
def test_the_cutout_box_holds_all_of_the_cutout_that_is_not_zero(car, box_shape):
    photo = RNG.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    mask = np.zeros((37, 53), bool)  # a bool mask works as a 0/1 one
    mask[car] = True
    mask[5, 25] = False  # a hole inside the car stays transparent
    pixels, (top, left) = cutout_box(photo, mask)
    assert pixels.shape == (*box_shape, 4)
    whole = np.zeros((37, 53, 4), np.uint8)
    whole[top : top + box_shape[0], left : left + box_shape[1]] = pixels
    np.testing.assert_array_equal(whole, cutout(photo, mask))


@pytest.mark.parametrize(
    "pixels", [np.zeros((4, 4), np.uint16), np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4), np.uint8)]
)
def test_what_png_cannot_hold_is_refused(pixels):
    with pytest.raises(ValueError, match="uint8 grey, RGB or RGBA"):
        encode_png(pixels)
