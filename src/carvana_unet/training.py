"""Fitting the U-Net: optimizer, callbacks, resumable checkpoints, mixed precision, strategies."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import keras
import pandas as pd
import tensorflow as tf

from carvana_unet import multi_worker
from carvana_unet.input_pipeline import TrainingFeed

log = logging.getLogger(__name__)


def strategy_for(name: str) -> tf.distribute.Strategy:
    if name == "multi_worker":
        try:  # reads TF_CONFIG; must come before TensorFlow runs anything in this process
            return tf.distribute.MultiWorkerMirroredStrategy()
        except RuntimeError as error:
            raise RuntimeError(
                f"training.distribute=multi_worker: {error}. Run the training pipeline alone "
                "(kedro run --pipelines training), so that nothing before it starts TensorFlow"
            ) from error
    return tf.distribute.MirroredStrategy() if name == "mirrored" else tf.distribute.get_strategy()


class FreezeBatchNorm(keras.callbacks.Callback):
    """From epoch `after` on, BatchNorm layers normalise with, and keep, their moving statistics.

    At batch 1 each batch's own statistics are noise; after a warm-up the averages are better.
    Checked at every epoch's start, so a resumed run freezes them again.
    """

    def __init__(self, after: int):
        super().__init__()
        self.after, self.frozen = after, False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.frozen or epoch < self.after:
            return
        for layer in self.model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False  # Keras 3: a frozen BatchNorm also runs in inference mode
        self.model.make_train_function(force=True)  # fit calls self.train_function each step
        self.frozen = True
        log.info("BatchNorm frozen from epoch %d", epoch)


def callbacks(options: dict[str, Any], checkpoint_dir: Path, writes: bool = True) -> list[keras.callbacks.Callback]:
    """The training callbacks; `writes=False` (a multi-worker run's other workers) leaves files to the chief."""
    monitor = "val_loss" if options["has_validation"] else "loss"
    backup, history = checkpoint_dir / "backup", checkpoint_dir / "history.csv"
    decide = [
        keras.callbacks.ReduceLROnPlateau(monitor=monitor, **options["reduce_lr"]),
        keras.callbacks.EarlyStopping(monitor=monitor, **options["early_stopping"]),
    ] + ([FreezeBatchNorm(options["freeze_batch_norm_after"])] if options.get("freeze_batch_norm_after") else [])
    if not writes:
        return [multi_worker.RestoreOnly(str(backup)), *decide]
    if not options["resume"]:
        shutil.rmtree(backup, ignore_errors=True)
    if not backup.exists():
        history.unlink(missing_ok=True)
    return [
        # Saves the whole training state every epoch; on restart fit() continues from it.
        keras.callbacks.BackupAndRestore(str(backup), delete_checkpoint=True),
        keras.callbacks.ModelCheckpoint(
            str(checkpoint_dir / "best.weights.h5"), monitor=monitor, save_best_only=True, save_weights_only=True
        ),
        *decide,
        # Appends, so a resumed run's history still holds the epochs before the kill.
        keras.callbacks.CSVLogger(str(history), append=True),
    ]


def resume_epoch(checkpoint_dir: Path) -> int:
    """The epoch a BackupAndRestore backup left in `checkpoint_dir` continues from; 0 without one."""
    metadata = checkpoint_dir / "backup" / "training_metadata.json"
    return int(json.loads(metadata.read_text())["epoch"]) if metadata.exists() else 0


def fit(
    model: keras.Model,
    feed: TrainingFeed,
    validation_data: tf.data.Dataset | None,
    options: dict[str, Any],
    checkpoint_dir: Path,
    extra_callbacks: tuple = (),
) -> pd.DataFrame:
    """Train (resuming from a backup when one is left), then load the best weights.

    Returns one row of metrics per epoch, those of an interrupted earlier attempt included.
    A resumed run is fed the epochs it has left, so it sees the batches an unbroken run would.
    """
    if multi_worker.in_use(model):
        return _fit_multi_worker(model, feed, validation_data, options, checkpoint_dir, extra_callbacks)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    run_callbacks = callbacks(options, checkpoint_dir) + list(extra_callbacks)
    train_data = feed.dataset(resume_epoch(checkpoint_dir), options["epochs"])
    model.fit(
        train_data,
        validation_data=validation_data,
        epochs=options["epochs"],
        steps_per_epoch=feed.steps_per_epoch,
        shuffle=False,  # the feed shuffles, by seed
        callbacks=run_callbacks,
        verbose=2,
    )
    return _best_weights_and_history(model, checkpoint_dir)


def _fit_multi_worker(
    model: keras.Model,
    feed: TrainingFeed,
    validation_data: tf.data.Dataset | None,
    options: dict[str, Any],
    checkpoint_dir: Path,
    extra_callbacks: tuple,
) -> pd.DataFrame:
    """The chief trains, writes and loads its best weights like `fit`; the other workers only train."""
    chief = multi_worker.is_chief(model.distribute_strategy)
    if chief:
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
    run_callbacks = callbacks(options, checkpoint_dir, writes=chief) + list(extra_callbacks)
    multi_worker.barrier(model.distribute_strategy)  # the chief has cleared or kept the backup: now restore
    history = multi_worker.fit(model, feed, validation_data, run_callbacks, options["epochs"])
    return _best_weights_and_history(model, checkpoint_dir) if chief else history


def _best_weights_and_history(model: keras.Model, checkpoint_dir: Path) -> pd.DataFrame:
    best = checkpoint_dir / "best.weights.h5"
    if best.exists():
        model.load_weights(str(best))
    history_file = checkpoint_dir / "history.csv"
    table = pd.read_csv(history_file).drop_duplicates("epoch", keep="last").reset_index(drop=True)
    history_file.unlink()
    return table
