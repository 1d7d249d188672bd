"""The training loop on tiny arrays: option checks, and resuming a killed run."""

import keras
import numpy as np
import pytest
from tiny_training import ARCH, STEPS, tiny_data
from tiny_training import OPTIONS as TINY_OPTIONS

from carvana_unet import augment, training
from carvana_unet.input_pipeline import TrainingFeed
from carvana_unet.model.compiled import compile_unet

OPTIONS = {**TINY_OPTIONS, "epochs": 4, "resume": True}


class KillAfter(keras.callbacks.Callback):
    """Stands in for a killed process: stops training dead after an epoch."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_killed_run_resumes_and_ends_with_all_epochs(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (8, 16, 16, 3), dtype=np.uint8)
    masks = (images[..., 0] > 127).astype(np.uint8)
    data = TrainingFeed(images, masks, np.arange(8), 4)

    model = compile_unet(ARCH, 16, 16, OPTIONS)
    with pytest.raises(KeyboardInterrupt):
        training.fit(model, data, None, OPTIONS, tmp_path, extra_callbacks=(KillAfter(1),))
    assert (tmp_path / "backup").exists()

    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(epoch))
    history = training.fit(
        compile_unet(ARCH, 16, 16, OPTIONS), data, None, OPTIONS, tmp_path, extra_callbacks=(record,)
    )
    assert seen == [2, 3]  # it continued, it did not start over
    assert history["epoch"].tolist() == [0, 1, 2, 3]
    assert not (tmp_path / "backup").exists()  # a finished run leaves nothing to resume


def test_resume_false_starts_over(tmp_path):
    images = np.zeros((4, 16, 16, 3), np.uint8)
    data = TrainingFeed(images, np.zeros((4, 16, 16), np.uint8), np.arange(4), 4)
    model = compile_unet(ARCH, 16, 16, OPTIONS)
    with pytest.raises(KeyboardInterrupt):
        training.fit(model, data, None, OPTIONS, tmp_path, extra_callbacks=(KillAfter(1),))
    history = training.fit(
        compile_unet(ARCH, 16, 16, OPTIONS), data, None, {**OPTIONS, "resume": False, "epochs": 2}, tmp_path
    )
    assert history["epoch"].tolist() == [0, 1]


def test_resumed_run_ends_with_the_weights_of_an_unbroken_run(tmp_path):
    images, masks = tiny_data()
    feed = TrainingFeed(
        images, masks, np.arange(len(images)), 4, augment.SeededAugmentation(augment.build_transform(STEPS), 0), seed=0
    )
    options = {**OPTIONS, "epochs": 3}
    unbroken = compile_unet(ARCH, 32, 48, options)
    training.fit(unbroken, feed, None, options, tmp_path / "unbroken")

    with pytest.raises(KeyboardInterrupt):
        training.fit(
            compile_unet(ARCH, 32, 48, options),
            feed,
            None,
            options,
            tmp_path / "killed",
            extra_callbacks=(KillAfter(0),),
        )
    resumed = compile_unet(ARCH, 32, 48, options)
    training.fit(resumed, feed, None, options, tmp_path / "killed")
    for a, b in zip(unbroken.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_soft_targets_reach_the_loss_as_fractions():
    images, masks = tiny_data(8, 16, 16)
    coverage = (masks * 170).astype(np.uint8)  # two thirds covered, in the cache's 0..255 scale
    feed = TrainingFeed(images, coverage, np.arange(8), 4, None, mask_scale=255)
    _, targets = next(iter(feed.dataset(0, 1)))
    np.testing.assert_allclose(np.unique(targets.numpy()), [0.0, 170 / 255], rtol=1e-6)
