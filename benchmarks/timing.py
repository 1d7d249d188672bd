"""Timing shared by the throughput benchmarks (predict.py, submission.py), made for a noisy, shared machine."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np

from carvana_unet import imaging

if TYPE_CHECKING:
    import keras

Timed = tuple[float, float]  # images a second, CPU milliseconds (all threads) an image


def timed(work: Callable[[], object], count: int) -> Timed:
    """Images a second, and CPU milliseconds (all threads) an image, of `work` on `count` images."""
    start, cpu = time.perf_counter(), time.process_time()
    work()
    return count / (time.perf_counter() - start), 1000 * (time.process_time() - cpu) / count


def alternating(works: Sequence[Callable[[], Timed]], rounds: int) -> list[Timed]:
    """Each work once to warm up (the first calls trace the models), then all of them in turn, `rounds` times.

    Per work: its best images a second (on a shared machine, noise only slows) and its median CPU time an
    image, which moves less with the machine's load than throughput does.
    """
    for work in works:
        work()
    results = [[work() for work in works] for _ in range(rounds)]
    return [(max(r[i][0] for r in results), float(np.median([r[i][1] for r in results]))) for i in range(len(works))]


def bare_model(model: keras.Model, tensors: np.ndarray, batch_size: int) -> list[Callable[[], Timed]]:
    """The model alone on pre-resized tensors, timed two ways: Keras' `model.predict`, and `predict_on_batch`
    over the same batches (the call the pipelines make).

    `model.predict` falls, a whole process at a time, into a mode about 20% slower with the same CPU a
    photo (on 2 cores: 49 against 60-64 img/s, while the loop gave 59-67): its own machinery idles, not
    the model. A ratio against that mode flatters the pipeline, so the baseline is the faster of the two
    (`baseline`).
    """

    def loop() -> None:
        for start in range(0, len(tensors), batch_size):
            model.predict_on_batch(tensors[start : start + batch_size])

    return [
        lambda: timed(lambda: model.predict(tensors, batch_size=batch_size, verbose=0), len(tensors)),
        lambda: timed(loop, len(tensors)),
    ]


def reading_model(model: keras.Model, jpegs: Sequence[bytes], batch_size: int, workers: int) -> Callable[[], Timed]:
    """The model reading its own JPEGs: each decoded straight to its input (`imaging.decode_to_model_size`, as
    every pipeline reads, stretched as the benchmarks' photos are) in `workers` threads, ahead of
    `predict_on_batch` on the main thread.

    No pipeline can beat it, whatever its other steps cost, on any CPU: the ratio to it says what a pipeline
    adds to reading and predicting, where the ratio to `bare_model` also moves with how fast the CPU runs the
    model against how fast it decodes JPEGs.
    """
    height, width = model.input_shape[1:3]

    def run() -> None:
        def read(jpeg: bytes) -> np.ndarray:
            return imaging.decode_to_model_size(jpeg, height, width, "stretch")[0]

        inputs = imaging.bounded_map(read, jpegs, workers, 2 * batch_size)
        while batch := list(islice(inputs, batch_size)):
            model.predict_on_batch(np.stack(batch).astype(np.float32) / np.float32(255))

    return lambda: timed(run, len(jpegs))


def print_reading(reading: Timed) -> None:
    rate, cpu = reading
    label = "model reading its own JPEGs (scaled decode + predict_on_batch)"
    print(f"  {label}: {rate:7.2f} img/s, CPU {cpu:5.1f} ms a photo")


def baseline(predict: Timed, loop: Timed) -> Timed:
    """The bare model's rate and CPU an image: whichever of the two ways ran faster."""
    return max(predict, loop, key=lambda result: result[0])


def print_bare(predict: Timed, loop: Timed) -> None:
    """Both ways of timing the bare model, and which one is the baseline."""
    for label, (rate, cpu) in (("model.predict", predict), ("predict_on_batch", loop)):
        print(f"  bare model, pre-resized tensors, {label:<16}: {rate:7.2f} img/s, CPU {cpu:5.1f} ms a photo")
    print(f"  bare = the faster of the two                     : {baseline(predict, loop)[0]:7.2f} img/s")
