"""Timing shared by the throughput benchmarks (predict.py, submission.py), made for a noisy, shared machine."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

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
