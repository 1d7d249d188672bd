"""What the segmenter feeds the model: for a JPEG, exactly what ingestion fed it in training."""

import io

import keras
import numpy as np
import pytest
from PIL import Image

from carvana_unet import imaging
from carvana_unet.segmenter import Segmenter, open_photo

HEIGHT, WIDTH = 16, 24  # the model's input; the photos are 8x that, so a JPEG decodes at 1/8 scale


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    inputs = keras.Input((HEIGHT, WIDTH, 3))
    return Segmenter(keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(inputs)), 0.5)


def photo_bytes(suffix: str, **save) -> bytes:
    rows, cols = np.mgrid[: 8 * HEIGHT, : 8 * WIDTH]
    pixels = np.dstack([rows * 2, cols, (rows * cols) % 251]).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=suffix, **save)
    return buffer.getvalue()


def test_a_jpeg_reaches_the_model_as_ingestion_made_the_training_photos(segmenter, tmp_path):
    data = photo_bytes("JPEG", quality=90)
    ingested = imaging.decode_to_model_size(Image.open(io.BytesIO(data)), HEIGHT, WIDTH, "stretch")[0]
    (tmp_path / "car.jpg").write_bytes(data)
    for source in (data, tmp_path / "car.jpg"):
        photo = segmenter.read(source)
        np.testing.assert_array_equal(photo.model_input, ingested)
        np.testing.assert_array_equal(photo.pixels, open_photo(data))
    # Shrinking the full decode gives other pixels: the model would see photos unlike its training ones.
    assert not np.array_equal(imaging.to_model_size(open_photo(data), HEIGHT, WIDTH, "stretch"), ingested)


def test_a_turned_jpeg_or_a_png_is_shrunk_from_its_upright_pixels(segmenter):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: upright, the photo is taller than wide
    sideways, png = photo_bytes("JPEG", exif=exif), photo_bytes("PNG")
    for data, upright in ((sideways, (8 * WIDTH, 8 * HEIGHT, 3)), (png, (8 * HEIGHT, 8 * WIDTH, 3))):
        photo = segmenter.read(data)
        assert photo.pixels.shape == upright
        np.testing.assert_array_equal(photo.model_input, segmenter.photo(photo.pixels).model_input)
        assert segmenter.masks([photo])[0].shape == upright[:2]


def test_masks_only_never_decodes_a_jpeg_at_full_size_and_gives_the_same_mask(segmenter):
    data = photo_bytes("JPEG", quality=90)
    lean, full = segmenter.read(data, pixels=False), segmenter.read(data)
    assert lean.pixels is None and lean.size == full.size == (8 * HEIGHT, 8 * WIDTH)
    np.testing.assert_array_equal(lean.model_input, full.model_input)
    np.testing.assert_array_equal(segmenter.masks([lean])[0], segmenter.masks([full])[0])
