import numpy as np
import pytest

from carvana_unet.dice import dice


def test_dice_extremes():
    car = np.zeros((8, 8), np.uint8)
    car[2:6, 2:6] = 1
    assert dice(car, car) == 1.0
    assert dice(np.zeros_like(car), car) == 0.0
    assert dice(np.zeros_like(car), np.zeros_like(car)) == 1.0  # both empty counts as perfect


def test_dice_value_and_shape_check():
    a, b = np.array([[1, 1, 0, 0]]), np.array([[1, 0, 0, 0]])
    assert dice(a, b) == pytest.approx(2 * 1 / 3)
    with pytest.raises(ValueError, match="shapes differ"):
        dice(a, np.zeros((2, 2)))
