import cv2
import numpy as np
import pytest
from PIL import Image

from carvana_unet import imaging, synthetic
from carvana_unet.dice import dice


@pytest.mark.parametrize(("aspect", "size"), [("stretch", (128, 192)), ("pad", (192, 192))])
def test_mask_down_and_up_stays_in_place(aspect, size):
    # A car-sized shape at Kaggle's size, shrunk as ingestion does and grown back as evaluation does:
    # any half-pixel shift between the two would cost Dice and move the centre by pixels.
    mask = np.zeros((1280, 1918), np.uint8)
    cv2.ellipse(mask, (960, 700), (620, 330), 0, 0, 360, 1, -1)
    small = imaging.to_model_size(mask, *size, aspect, is_mask=True)
    assert small.dtype == np.uint8 and set(np.unique(small)) == {0, 1}
    back = imaging.to_original_size(small.astype(np.float32), 1280, 1918, aspect) >= 0.5
    assert dice(mask.astype(bool), back) > 0.995
    centre = np.argwhere(mask).mean(axis=0) - np.argwhere(back).mean(axis=0)
    assert np.abs(centre).max() < 1.0


@pytest.mark.parametrize(("aspect", "size"), [("stretch", (64, 96)), ("pad", (96, 96))])
def test_scaled_jpeg_decode_matches_a_full_decode_resized(tmp_path, aspect, size):
    data = synthetic.make_dataset(1, 1, 768, 512, seed=1)
    path = tmp_path / "car.jpg"
    Image.fromarray(data.photo(data.image_ids(data.train_cars)[3])).save(path, quality=90)
    fast, full_size = imaging.decode_to_model_size(Image.open(path), *size, aspect)
    slow = imaging.to_model_size(imaging.to_rgb_array(Image.open(path)), *size, aspect)
    assert full_size == (512, 768) and fast.shape == slow.shape == (*size, 3)
    assert np.abs(fast.astype(int) - slow).mean() < 2.0


def test_truncated_jpeg_still_fails_with_scaled_decoding(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.fromarray(np.full((512, 768, 3), 200, np.uint8)).save(path, quality=90)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(OSError):
        imaging.decode_to_model_size(Image.open(path), 64, 96, "stretch")


def test_padded_layout_comes_from_the_full_size_after_a_scaled_decode(tmp_path):
    # 1918x1280 decodes at 1/4 to 480x320, whose own fit into 320x320 is 213 rows high; the full
    # size's fit, which to_original_size crops back, is 214: the image must fill those 214 rows.
    path = tmp_path / "car.jpg"
    Image.fromarray(np.full((1280, 1918, 3), 200, np.uint8)).save(path, quality=90)
    image, _ = imaging.decode_to_model_size(Image.open(path), 320, 320, "pad")
    filled_rows = np.flatnonzero(image.any(axis=(1, 2)))
    assert (filled_rows.min(), filled_rows.max()) == (53, 53 + 214 - 1)


def test_soft_mask_pixels_keep_the_share_of_their_block_that_is_car():
    mask = np.zeros((4, 8), np.uint8)
    mask[:2, :2] = 1  # a quarter of the first 4x4 block
    mask[:, 4:7] = 1  # three quarters of the second
    soft = imaging.to_model_size(mask, 1, 2, "stretch", is_mask=True, coverage=True)
    assert soft.tolist() == [[64, 191]]  # round(0.25 * 255), round(0.75 * 255)
    assert imaging.to_model_size(mask, 1, 2, "stretch", is_mask=True).tolist() == [[0, 1]]
