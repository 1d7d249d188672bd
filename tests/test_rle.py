import numpy as np
import pandas as pd
import pytest
from PIL import Image

from carvana_unet import rle


@pytest.mark.parametrize(
    "mask, code",
    [
        ([[0, 1, 1], [1, 0, 0]], "2 3"),  # the format note's example
        ([[1, 0, 0], [0, 0, 1]], "1 1 6 1"),  # first and last pixel
        ([[1, 1], [1, 1]], "1 4"),
        ([[0, 0], [0, 0]], ""),
        ([[0, 1], [0, 1]], "2 1 4 1"),  # row-major: runs do not wrap columns
    ],
)
def test_known_vectors(mask, code):
    array = np.array(mask, dtype=np.uint8)
    assert rle.encode(array) == code
    np.testing.assert_array_equal(rle.decode(code, array.shape), array)


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (64, 97), (1280, 1918)])
def test_random_round_trip(shape):
    mask = (np.random.default_rng(shape[0]).random(shape) > 0.6).astype(np.uint8)
    np.testing.assert_array_equal(rle.decode(rle.encode(mask), shape), mask)


def test_any_binary_mask_dtype_gives_the_same_code():
    # 0/1 bytes are read as bools without a copy; any other binary mask is converted first.
    mask = np.random.default_rng(3).random((37, 53)) > 0.6
    code = rle.encode(mask)
    for same in (mask.view(np.uint8), mask.astype(np.uint8) * np.uint8(255), mask.astype(np.float32)):
        assert rle.encode(same) == code


def test_decode_rejects_runs_outside_the_mask():
    with pytest.raises(ValueError, match="outside"):
        rle.decode("5 3", (2, 3))
    with pytest.raises(ValueError, match="odd"):
        rle.decode("1 2 3", (2, 3))
    with pytest.raises(ValueError, match="sorted"):
        rle.decode("4 2 1 1", (2, 3))


def test_train_masks_csv_decodes_to_the_gif_masks(tiny_raw_template):
    table = pd.read_csv(tiny_raw_template / "train_masks.csv", keep_default_na=False)
    assert len(table) == 48
    for name, code in table.itertuples(index=False):
        gif = np.asarray(Image.open(tiny_raw_template / "train_masks" / name.replace(".jpg", "_mask.gif")))
        np.testing.assert_array_equal(rle.decode(code, gif.shape), gif)
