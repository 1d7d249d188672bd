"""The paths meant for GPUs and large inputs, run for real on CPU at tiny sizes so they cannot rot:
mixed precision, the reference-1024 preset, MirroredStrategy, and the batch-1 options
(group norm, gradient accumulation, BatchNorm frozen after a warm-up)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from tiny_training import ARCH
from tiny_training import OPTIONS as TINY_OPTIONS

from carvana_unet import training
from carvana_unet.input_pipeline import TrainingFeed
from carvana_unet.model.compiled import compile_unet
from carvana_unet.model.unet import architecture

OPTIONS = {**TINY_OPTIONS, "batch_size": 2}


def tiny_batch(count: int = 4, height: int = 32, width: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.random((count, height, width, 3), dtype=np.float32)
    return images, (images[..., :1] > 0.5).astype(np.float32)


@pytest.fixture
def float32_after():
    yield
    keras.mixed_precision.set_global_policy("float32")  # the policy is process-wide


def test_mixed_precision_trains_with_finite_loss_float32_output_and_loss_scaling(float32_after):
    model = compile_unet(ARCH, 32, 32, {**OPTIONS, "mixed_precision": True})
    assert model.get_layer("down0_conv1").compute_dtype == "float16"
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    images, masks = tiny_batch()
    losses = [model.train_on_batch(images, masks)[0] for _ in range(3)]
    assert np.isfinite(losses).all()
    output = model(images)
    assert output.dtype == "float32" and np.isfinite(keras.ops.convert_to_numpy(output)).all()


def test_reference_1024_preset_trains_a_step_and_predicts_at_batch_2():
    arch = architecture("reference-1024")
    model = compile_unet(arch, arch["height"], arch["width"], OPTIONS)
    images, masks = tiny_batch(2, 1024, 1024)
    before = model.get_layer("bottleneck_conv1").get_weights()[0].copy()
    loss = model.train_on_batch(images, masks)[0]
    assert np.isfinite(loss)
    assert not np.array_equal(before, model.get_layer("bottleneck_conv1").get_weights()[0])
    assert model.predict(images, batch_size=2, verbose=0).shape == (2, 1024, 1024, 1)


def test_mirrored_strategy_trains_as_a_single_process_does(tmp_path):
    images, masks = tiny_batch(8)
    feed = TrainingFeed((images * 255).astype(np.uint8), masks[..., 0].astype(np.uint8), np.arange(8), 4)
    plain = compile_unet(ARCH, 32, 32, OPTIONS)
    training.fit(plain, feed, None, OPTIONS, tmp_path / "plain")
    strategy = training.strategy_for("mirrored")
    assert isinstance(strategy, tf.distribute.MirroredStrategy)
    with strategy.scope():
        mirrored = compile_unet(ARCH, 32, 32, OPTIONS)
    training.fit(mirrored, feed, None, OPTIONS, tmp_path / "mirrored")
    # One CPU device: the same arithmetic, up to the order of float sums in the all-reduce.
    for a, b in zip(plain.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_group_norm_trains_at_batch_1():
    model = compile_unet({**ARCH, "normalization": "group"}, 32, 32, OPTIONS)
    assert any(isinstance(layer, keras.layers.GroupNormalization) for layer in model.layers)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
    images, masks = tiny_batch(1)
    assert np.isfinite([model.train_on_batch(images, masks)[0] for _ in range(2)]).all()


def test_gradient_accumulation_updates_the_weights_every_nth_batch():
    model = compile_unet(ARCH, 32, 32, {**OPTIONS, "gradient_accumulation_steps": 2})
    images, masks = tiny_batch(1)
    kernel = model.get_layer("down0_conv1")
    start = kernel.get_weights()[0].copy()
    model.train_on_batch(images, masks)
    np.testing.assert_array_equal(kernel.get_weights()[0], start)  # gradient stored, weights unmoved
    model.train_on_batch(images, masks)
    assert not np.array_equal(kernel.get_weights()[0], start)


def test_batch_norm_frozen_after_warm_up_keeps_its_statistics(tmp_path):
    images, masks = tiny_batch(4)
    feed = TrainingFeed((images * 255).astype(np.uint8), masks[..., 0].astype(np.uint8), np.arange(4), 1)
    options = {**OPTIONS, "epochs": 3, "freeze_batch_norm_after": 1}
    model = compile_unet(ARCH, 32, 32, options)
    norm = model.get_layer("down0_bn1")
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append([w.copy() for w in norm.get_weights()])
    )
    training.fit(model, feed, None, options, tmp_path, extra_callbacks=(record,))
    assert not norm.trainable
    # Epoch 0 moved gamma, beta and the moving statistics; epochs 1 and 2 moved none of them.
    for after_warm_up, later in zip(seen[0], seen[2]):
        np.testing.assert_array_equal(after_warm_up, later)
