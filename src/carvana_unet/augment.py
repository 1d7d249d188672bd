"""Albumentations transforms built from parameters, applied identically to image and mask."""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

# Albumentations checks PyPI for a newer release on import; this project runs offline.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
import albumentations as A  # noqa: E402


def build_transform(steps: list[dict[str, Any]], seed: int | None = None) -> A.Compose:
    """`steps` are ``{name: <albumentations class>, ...its arguments}``, applied in order."""
    transforms = []
    for step in steps:
        arguments = dict(step)
        name = arguments.pop("name")
        if not hasattr(A, name):
            raise ValueError(f"augmentation step {name!r} is not an albumentations transform")
        transforms.append(getattr(A, name)(**arguments))
    return A.Compose(transforms, seed=seed)


def to_config(transform: A.Compose) -> dict[str, Any]:
    """The transform as plain JSON-able data (albumentations' own serialisation)."""
    return A.to_dict(transform)


def from_config(config: dict[str, Any]) -> A.Compose:
    return A.from_dict(config)


def apply(transform: A.Compose, image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One random draw of the transform on an (image, mask) pair."""
    out = transform(image=image, mask=mask)
    return out["image"], out["mask"]


class SeededAugmentation:
    """Each draw a pure function of (seed, epoch, sample), whichever thread makes it and when.

    One albumentations Compose holds one random state; shared by parallel workers, which draw
    goes to which image would depend on thread timing. Each thread keeps its own copy instead,
    reseeded before every draw.
    """

    def __init__(self, transform: A.Compose, seed: int):
        self._config = to_config(transform)
        self._seed = seed
        self._local = threading.local()

    def __call__(self, image: np.ndarray, mask: np.ndarray, epoch: int, sample: int) -> tuple[np.ndarray, np.ndarray]:
        transform = getattr(self._local, "transform", None)
        if transform is None:
            transform = self._local.transform = from_config(self._config)
        draw_seed = int(np.random.SeedSequence([self._seed, epoch, sample]).generate_state(1)[0])
        transform.set_random_seed(draw_seed)
        return apply(transform, image, mask)
