"""What the training tests share: the real training defaults with a tiny network, the real augmentation
steps, and tiny random data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from carvana_unet.pipelines.training.params import TrainingParams

CONF = Path(__file__).resolve().parents[1] / "conf" / "base"
OPTIONS = {
    **TrainingParams(epochs=2, batch_size=4, learning_rate=1e-3, seed=0, resume=False).model_dump(),
    "has_validation": False,
}
ARCH = {"depth": 2, "base_filters": 4, "normalization": "batch", "dropout": 0.0}
STEPS = yaml.safe_load((CONF / "parameters_augmentation.yml").read_text())["augmentation"]["steps"]


def tiny_data(count: int = 12, height: int = 32, width: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Random uint8 photos and the masks of their bright-red pixels."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (count, height, width, 3), dtype=np.uint8)
    return images, (images[..., 0] > 127).astype(np.uint8)
