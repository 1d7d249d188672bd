"""Training across processes or machines with `tf.distribute.MultiWorkerMirroredStrategy`.

Keras 3's `fit()` cannot run under this strategy (keras-team/keras#20585), so this loop does what
`fit()` does, on TensorFlow's own engine: `strategy.run` of one gradient step per global batch,
gradients summed by the strategy's collective all-reduce, then the same callbacks. Each worker
reads and augments only its slice of every global batch (the draws are a function of seed, epoch
and sample, so the slices add up to the single-process batch), and BatchNorm averages its
statistics over the global batch. The chief (task 0) alone writes the backup, the best weights
and the history; every worker restores from the backup, which must be on storage they share.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Callable, Iterator

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from carvana_unet.input_pipeline import TrainingFeed
from carvana_unet.model.losses import dice_coefficient

log = logging.getLogger(__name__)


class RestoreOnly(keras.callbacks.BackupAndRestore):
    """A worker's view of the chief's backup: restores at the start, never writes or deletes."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass


def in_use(model: keras.Model) -> bool:
    return isinstance(model.distribute_strategy, tf.distribute.MultiWorkerMirroredStrategy)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    return bool(strategy.extended.should_checkpoint)


def barrier(strategy: tf.distribute.Strategy) -> None:
    """Wait until every worker gets here (an all-reduce of nothing)."""
    tf.function(lambda: strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None))()


def worker_slice(strategy: tf.distribute.Strategy) -> tuple[int, int]:
    """(this worker's index, number of workers): one replica per worker process."""
    resolver = strategy.cluster_resolver
    spec = resolver.cluster_spec()
    has_chief = "chief" in spec.jobs
    workers = spec.num_tasks("worker") + (spec.num_tasks("chief") if has_chief else 0)
    if strategy.num_replicas_in_sync != workers:
        raise ValueError(
            f"{strategy.num_replicas_in_sync} replicas on {workers} workers: run one worker process per GPU "
            "(CUDA_VISIBLE_DEVICES=i), each with its own TF_CONFIG task"
        )
    index = resolver.task_id + (0 if resolver.task_type == "chief" else int(has_chief))
    return index, workers


def fit(
    model: keras.Model,
    feed: TrainingFeed,
    validation_data: tf.data.Dataset | None,
    run_callbacks: list[keras.callbacks.Callback],
    epochs: int,
) -> pd.DataFrame:
    """Train `model` (built under the strategy's scope) for `epochs`; returns one row of metrics per epoch.

    `run_callbacks` are this worker's: the chief's write, the others' only restore and decide.
    """
    strategy = model.distribute_strategy
    index, workers = worker_slice(strategy)
    if feed.batch_size % workers:
        raise ValueError(f"training.batch_size {feed.batch_size} does not split over {workers} workers")
    batch_norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in batch_norms:
        layer.synchronized = True  # statistics of the global batch, as in one process
    callbacks = keras.callbacks.CallbackList(run_callbacks, model=model, epochs=epochs, steps=feed.steps_per_epoch)
    with strategy.scope():  # restoring builds the optimizer's variables: they must be mirrored too
        callbacks.on_train_begin()  # a backup, if any, is restored here
    first_epoch = model._initial_epoch or 0  # noqa: SLF001 (where BackupAndRestore leaves it, as fit reads it)
    shard = dataclasses.replace(feed, shard=(index, workers))
    batches = iter(strategy.distribute_datasets_from_function(lambda _: shard.dataset(first_epoch, epochs)))
    step, traced_for = _train_step(model, strategy), _trainable(batch_norms)
    rows = []
    if first_epoch:
        log.info("worker %d/%d resumes from the backup at epoch %d", index, workers, first_epoch + 1)
    with _lost_workers_reported():
        for epoch in range(first_epoch, epochs):
            callbacks.on_epoch_begin(epoch)
            if _trainable(batch_norms) != traced_for:  # FreezeBatchNorm froze them: the traced step still trains them
                step, traced_for = _train_step(model, strategy), _trainable(batch_norms)
            totals = np.zeros(2)
            for batch in range(feed.steps_per_epoch):
                callbacks.on_train_batch_begin(batch)
                totals += [float(value) for value in step(next(batches))]
                callbacks.on_train_batch_end(batch)
            logs = dict(zip(("loss", "dice"), totals / feed.steps_per_epoch, strict=True))
            if validation_data is not None:
                logs.update({f"val_{name}": value for name, value in validate(model, validation_data).items()})
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
            callbacks.on_epoch_end(epoch, logs)
            rows.append({"epoch": epoch, **logs})
            log.info("epoch %d: %s", epoch + 1, logs)
            if model.stop_training:
                break
    callbacks.on_train_end()
    for layer in batch_norms:
        layer.synchronized = False  # the saved model is the single-process one
    return pd.DataFrame(rows)


def _trainable(layers: list[keras.layers.Layer]) -> tuple[bool, ...]:
    return tuple(layer.trainable for layer in layers)


@contextlib.contextmanager
def _lost_workers_reported() -> Iterator[None]:
    """TensorFlow notices a worker that stopped sending heartbeats and aborts: say which and what to do."""
    try:
        yield
    except tf.errors.UnavailableError as error:
        unhealthy = str(error).partition("unhealthy")[2]
        lost = sorted(set(re.findall(r"/job:\w+/replica:\d+/task:\d+", unhealthy)))
        raise RuntimeError(
            f"multi-worker training lost {', '.join(lost) or 'a worker'} (it stopped answering: killed, crashed "
            "or its machine went away). Start every worker again with the same TF_CONFIG: they resume from "
            "the chief's last backup."
        ) from error


def _train_step(model: keras.Model, strategy: tf.distribute.Strategy) -> Callable[[tuple], tuple[tf.Tensor, tf.Tensor]]:
    optimizer, loss_fn = model.optimizer, model.loss

    def replica_step(images: tf.Tensor, masks: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            prediction = model(images, training=True)
            loss = loss_fn(masks, prediction)
            # The optimizer sums gradients over replicas: divide so they average, as one big batch would.
            scaled = optimizer.scale_loss(loss / strategy.num_replicas_in_sync)
        gradients = tape.gradient(scaled, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return loss, dice_coefficient(masks, prediction)

    @tf.function
    def step(batch: tuple[tf.Tensor, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        loss, dice = strategy.run(replica_step, args=batch)
        return strategy.reduce("MEAN", loss, axis=None), strategy.reduce("MEAN", dice, axis=None)

    return step


def validate(model: keras.Model, validation_data: tf.data.Dataset) -> dict[str, float]:
    """Loss and Dice over the whole validation set, computed alike by every worker (no collectives)."""
    totals, count = np.zeros(2), 0
    for images, masks in validation_data:
        prediction = model(images, training=False)
        size = int(images.shape[0])
        totals += size * np.array([float(model.loss(masks, prediction)), float(dice_coefficient(masks, prediction))])
        count += size
    return dict(zip(("loss", "dice"), totals / max(count, 1), strict=True))
