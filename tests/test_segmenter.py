"""What the segmenter feeds the model: exactly what ingestion fed it in training."""

import io

import keras
import numpy as np
import pandas as pd
import pytest
from kedro_project import raw_folder
from PIL import Image

from carvana_unet import imaging, synthetic
from carvana_unet.pipelines.ingestion.nodes import resize_for_model
from carvana_unet.pipelines.ingestion.params import IngestionParams
from carvana_unet.segmenter import Segmenter

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
    # Ingestion as the pipeline runs it: the catalog's raw folder datasets and the resize node.
    data = photo_bytes("JPEG", quality=90)
    for folder in ("train", "train_masks"):
        (tmp_path / folder).mkdir()
    (tmp_path / "train" / "car_01.jpg").write_bytes(data)
    empty_mask = synthetic.mask_to_gif(np.zeros((8 * HEIGHT, 8 * WIDTH), np.uint8))
    empty_mask.save(tmp_path / "train_masks" / "car_01_mask.gif")
    index = pd.DataFrame({"image_id": ["car_01"], "mask_key": ["car_01_mask"]})
    options = IngestionParams(input_height=HEIGHT, input_width=WIDTH)
    images = raw_folder("raw_train_images", tmp_path / "train", ".jpg").load()
    masks = raw_folder("raw_train_masks", tmp_path / "train_masks", ".gif").load()
    [(ingested, _)] = resize_for_model(index, images, masks, options).stream()
    for source in (data, tmp_path / "train" / "car_01.jpg"):
        photo = segmenter.read(source)
        np.testing.assert_array_equal(photo.model_input, ingested)
        np.testing.assert_array_equal(photo.pixels, np.asarray(Image.open(io.BytesIO(data))))  # Pillow's pixels
    # Shrinking the full decode gives other pixels: the model would see photos unlike its training ones.
    assert not np.array_equal(imaging.to_model_size(photo.pixels, HEIGHT, WIDTH, "stretch"), ingested)


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
