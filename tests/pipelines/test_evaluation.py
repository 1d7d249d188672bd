"""Evaluation's summary: the threshold is chosen on the final (refined) Dice, the U-Net alone is
reported at its own best threshold, and both reach metrics.json and MLflow."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carvana_unet.pipelines.evaluation.nodes import EXTRA, MISSED, error_picture, summarize
from carvana_unet.pipelines.evaluation.params import EvaluationParams


def scores(refined: bool) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "image_id": ["a_01", "a_02"],
            "car_id": ["a", "a"],
            "angle": [1, 2],
            "dice@0.4": [0.990, 0.992],
            "dice@0.6": [0.998, 0.996],
            "thin@0.4": [0.70, float("nan")],  # the second image has no thin parts
            "thin@0.6": [0.90, float("nan")],
            "ceiling_hard": [0.99, 0.99],
            "ceiling_soft": [0.995, 0.995],
            "ceiling_hard_thin": [0.40, float("nan")],
            "ceiling_soft_thin": [0.60, float("nan")],
        }
    )
    if refined:
        table["coarse@0.4"], table["coarse@0.6"] = [0.985, 0.987], [0.980, 0.982]
        table["coarse_thin@0.4"], table["coarse_thin@0.6"] = [0.30, float("nan")], [0.20, float("nan")]
    return table


def test_the_refined_dice_picks_the_threshold_and_the_unet_keeps_its_own_best():
    per_image, metrics, mlflow_metrics, threshold = summarize(scores(True), EvaluationParams(thresholds=[0.4, 0.6]))
    assert threshold == {"threshold": 0.6}
    assert metrics["dice_mean"] == 0.997
    assert metrics["dice_coarse_mean"] == 0.986  # at 0.4, the U-Net's own best, not the refined 0.6
    assert per_image["dice_coarse"].tolist() == [0.985, 0.987]
    assert mlflow_metrics["eval_dice_coarse_mean"]["value"] == 0.986
    # Thin parts at each model's own threshold, over the images that have any.
    assert (metrics["dice_thin_mean"], metrics["dice_thin_coarse_mean"], metrics["thin_images"]) == (0.9, 0.3, 1)
    assert mlflow_metrics["eval_dice_thin_mean"]["value"] == 0.9
    assert (metrics["ceiling_hard_thin_mean"], metrics["ceiling_soft_thin_mean"]) == (0.4, 0.6)


def test_without_refinement_there_is_no_separate_unet_figure():
    per_image, metrics, _, _ = summarize(scores(False), EvaluationParams(thresholds=[0.4, 0.6]))
    assert "dice_coarse_mean" not in metrics and "dice_coarse" not in per_image
    assert "dice_thin_coarse_mean" not in metrics and metrics["dice_thin_mean"] == 0.9


def test_the_error_picture_is_the_cars_box_with_its_wrong_pixels_painted():
    photo = np.full((100, 150, 3), 200, np.uint8)
    truth = np.zeros((100, 150), bool)
    truth[40:60, 50:90] = True
    predicted = truth.copy()
    predicted[40:42, 50:90] = False  # a roof strip missed
    predicted[60, 70] = True  # one pixel too many below the car
    picture = error_picture(photo, truth & ~predicted, predicted & ~truth, truth | predicted, margin=5)
    assert picture.shape == (61 - 40 + 10, 90 - 50 + 10, 3)  # rows 35..65, columns 45..94
    assert (picture[5:7, 5:45] == MISSED).all()
    assert (picture[25, 25] == EXTRA).all()
    assert (picture[10, 10] == 200).all() and (photo == 200).all()  # right pixels as photographed, photo untouched
