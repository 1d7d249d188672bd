"""One process of a tiny training run, alone or as a multi-worker worker (TF_CONFIG set by the caller).

python multi_worker_job.py CHECKPOINT_DIR WEIGHTS_FILE EPOCHS [KILL_AT_EPOCH]
Trains the tiny U-Net of tiny_training on 16 images, global batch 4, BatchNorm frozen from the third
epoch, through `training.fit`, and saves the flattened weights (BatchNorm's moving statistics included).
KILL_AT_EPOCH: this process kills itself (SIGKILL) when that epoch begins.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import keras
import numpy as np
from tiny_training import ARCH, OPTIONS, STEPS, tiny_data

from carvana_unet import augment, training
from carvana_unet.input_pipeline import TrainingFeed
from carvana_unet.model.compiled import compile_unet

IMAGES, BATCH = 16, 4


class KillAt(keras.callbacks.Callback):
    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def train(checkpoint_dir: Path, epochs: int, kill_at: int | None = None) -> tuple[np.ndarray, list[float]]:
    """Flattened final weights and per-epoch training Dice."""
    distributed = "TF_CONFIG" in os.environ
    strategy = training.strategy_for("multi_worker" if distributed else "none")
    # BatchNorm freezes for the last epoch: the traced multi-worker step must follow it as fit() does.
    options = {**OPTIONS, "epochs": epochs, "batch_size": BATCH, "resume": True, "freeze_batch_norm_after": 2}
    images, masks = tiny_data(IMAGES, 32, 48)
    with strategy.scope():
        model = compile_unet(ARCH, 32, 48, options)
    augmentation = augment.SeededAugmentation(augment.build_transform(STEPS), options["seed"])
    feed = TrainingFeed(images, masks, np.arange(IMAGES), BATCH, augmentation, seed=options["seed"])
    extra = (KillAt(kill_at),) if kill_at is not None else ()
    history = training.fit(model, feed, None, options, checkpoint_dir, extra_callbacks=extra)
    return np.concatenate([w.ravel() for w in model.get_weights()]), history["dice"].tolist()


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps(
        {"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]}, "task": {"type": "worker", "index": index}}
    )


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.INFO)
    checkpoints, weights_file, epoch_count = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    weights, dice = train(checkpoints, epoch_count, int(sys.argv[4]) if len(sys.argv) > 4 else None)
    np.save(weights_file, weights)
    weights_file.with_suffix(".json").write_text(json.dumps(dice))
