"""The thin-part Dice: it finds parts narrower than the disc on any mask, and it sees them lost."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from carvana_unet import synthetic
from carvana_unet.dice import dice
from carvana_unet.thin_parts import region_dice, thin_region


def car_with_antenna() -> tuple[np.ndarray, np.ndarray]:
    truth = np.zeros((200, 300), np.uint8)
    truth[100:180, 40:260] = 1  # the body: far wider than any disc
    antenna = np.zeros_like(truth)
    antenna[40:100, 150:152] = 1  # 2 px wide, 60 tall, on the roof
    return truth | antenna, antenna.astype(bool)


def test_the_region_holds_the_antenna_and_not_the_body_outline():
    truth, antenna = car_with_antenna()
    region = thin_region(truth, 0.03)  # a 9 px disc
    assert region[antenna].all()
    assert not region[150:180, 40:130].any()  # the body's corner and edges stay out
    assert region.sum() < 20 * antenna.sum()


def test_a_prediction_without_the_antenna_scores_well_overall_and_badly_on_thin_parts():
    truth, antenna = car_with_antenna()
    region = thin_region(truth, 0.03)
    smoothed = truth & ~antenna  # what an edge-smoothing model gives
    assert dice(smoothed, truth) > 0.99
    assert region_dice(smoothed[region], truth[region]) < 0.3  # only the roof under its base is left
    assert region_dice(truth[region], truth[region]) == 1.0


def test_a_mask_without_thin_parts_has_no_thin_dice():
    truth = np.zeros((200, 300), np.uint8)
    truth[50:150, 60:240] = 1
    region = thin_region(truth, 0.03)
    assert not region.any() and math.isnan(region_dice(truth[region], truth[region]))


def test_it_finds_the_rendered_cars_antenna_at_full_size(tmp_path):
    data = synthetic.make_dataset(1, 1, seed=0)
    image_id = data.image_ids(data.train_cars)[4]  # 05: the side view
    synthetic.write_images(data, [image_id], tmp_path, "train")
    truth = np.asarray(Image.open(synthetic.image_files(tmp_path, image_id, "train")[1]))
    widths = truth.sum(1)
    top = np.flatnonzero(widths)[0]
    antenna_rows = top + np.flatnonzero(np.cumprod(widths[top:] <= 4))  # the antenna: rows 1-4 px wide
    assert len(antenna_rows) > 20
    region = thin_region(truth, 0.006)
    assert region[antenna_rows][truth[antenna_rows] > 0].all()
