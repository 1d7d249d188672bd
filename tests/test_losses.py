"""The training loss: its edge weighting on known masks, and a saved model's config; gradient clipping."""

import keras
import numpy as np
import pytest
from tiny_training import ARCH, tiny_data
from tiny_training import OPTIONS as TINY_OPTIONS

from carvana_unet import training
from carvana_unet.input_pipeline import TrainingFeed
from carvana_unet.model.compiled import compile_unet
from carvana_unet.model.losses import BceDiceLoss, edges


def square(coverage_row: float | None = None) -> np.ndarray:
    """A (1, 12, 12, 1) target: a 4x4 car in the middle, optionally a row above it partly covered."""
    target = np.zeros((1, 12, 12, 1), np.float32)
    target[0, 4:8, 4:8] = 1
    if coverage_row is not None:
        target[0, 3, 4:8] = coverage_row
    return target


def test_edges_are_both_sides_of_the_outline_and_partly_covered_pixels_not_the_image_border():
    found = np.asarray(edges(keras.ops.convert_to_tensor(square())))[0]
    expected = np.zeros((12, 12), bool)
    expected[3:9, 3:9] = True  # one pixel out from the car ...
    expected[5:7, 5:7] = False  # ... and one pixel in: the car's core and the background stay plain
    np.testing.assert_array_equal(found.astype(bool), expected)

    soft = np.asarray(edges(keras.ops.convert_to_tensor(square(0.4))))[0]
    assert soft[2, 4:8].all() and soft[3, 4:8].all()  # a partly covered row and what borders it
    whole = np.ones((1, 12, 12, 1), np.float32)
    assert not np.asarray(edges(keras.ops.convert_to_tensor(whole))).any()  # padding makes no edge


def test_edge_weight_charges_mistakes_on_the_outline_more_and_inside_less():
    target = square()
    on_edge, inside = np.clip(target, 0.05, 0.95), np.clip(target, 0.05, 0.95)
    on_edge[0, 4, 4:8] = 0.3  # the car's top row called half background
    inside[0, 0, 0:4] = 0.7  # four background pixels far from the car called car
    plain, weighted = BceDiceLoss(), BceDiceLoss(edge_weight=4.0)
    assert float(weighted(target, on_edge)) > float(plain(target, on_edge))
    assert float(weighted(target, inside)) < float(plain(target, inside))
    assert float(BceDiceLoss(edge_weight=0.0)(target, on_edge)) == pytest.approx(float(plain(target, on_edge)))


def test_edge_weight_is_saved_only_when_on_and_reloads():
    assert "edge_weight" not in BceDiceLoss().get_config()  # models trained without it keep their bytes
    restored = BceDiceLoss.from_config(BceDiceLoss(edge_weight=4.0).get_config())
    assert restored.edge_weight == 4.0


def test_training_options_set_the_edge_weight_and_a_model_trains_with_it(tmp_path):
    images, masks = tiny_data(8, 16, 16)
    options = {**TINY_OPTIONS, "epochs": 2, "loss": {"bce_weight": 1.0, "dice_weight": 1.0, "edge_weight": 4.0}}
    model = compile_unet(ARCH, 16, 16, options)
    assert model.loss.edge_weight == 4.0
    history = training.fit(model, TrainingFeed(images, masks, np.arange(8), 4), None, options, tmp_path)
    assert np.isfinite(history["loss"]).all()
    model.save(tmp_path / "unet.keras")
    assert keras.saving.load_model(tmp_path / "unet.keras").loss.edge_weight == 4.0


def test_gradient_clip_norm_bounds_each_step(tmp_path):
    images, masks = tiny_data(4, 16, 16)
    x, y = images.astype(np.float32) / 255.0, masks[..., None].astype(np.float32)
    steps = {}
    for clip in (None, 1e-3):  # plain SGD, so that a step is learning rate x the (clipped) gradient
        options = {**TINY_OPTIONS, "optimizer": "sgd", "learning_rate": 0.1, "gradient_clip_norm": clip}
        model = compile_unet(ARCH, 16, 16, options)
        before = [np.array(w) for w in model.trainable_weights]
        model.train_on_batch(x, y)
        after = [np.array(w) for w in model.trainable_weights]
        steps[clip] = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(after, before, strict=True)))
    assert steps[1e-3] == pytest.approx(0.1 * 1e-3, rel=1e-3)
    assert steps[None] > 10 * steps[1e-3]
    model.save(tmp_path / "unet.keras")
    assert keras.saving.load_model(tmp_path / "unet.keras").optimizer.global_clipnorm == 1e-3
