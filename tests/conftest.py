"""Shared fixtures: tiny synthetic Carvana data (3 train cars + 1 test car, 96x64)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import pytest

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from carvana_unet import synthetic  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 96, 64


def write_tiny_raw(folder: Path, train_cars: int = 3, test_cars: int = 1, seed: int = 5) -> Path:
    data = synthetic.make_dataset(train_cars, test_cars, WIDTH, HEIGHT, seed=seed)
    for _ in synthetic.write_dataset(data, folder):
        pass
    return folder


@pytest.fixture(scope="session")
def tiny_raw_template(tmp_path_factory) -> Path:
    return write_tiny_raw(tmp_path_factory.mktemp("raw") / "carvana")


@pytest.fixture
def tiny_raw(tiny_raw_template, tmp_path) -> Path:
    """A fresh copy each test may damage."""
    return Path(shutil.copytree(tiny_raw_template, tmp_path / "carvana"))


@pytest.fixture
def opencv_pool_of_two():
    """OpenCV's own pool at 2 threads, something to turn off whatever this machine's default; restored after."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(2)
    yield
    cv2.setNumThreads(threads)
