import cv2
import numpy as np
import pytest

from carvana_unet import imaging
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
