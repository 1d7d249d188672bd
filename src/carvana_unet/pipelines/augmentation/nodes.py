"""Augmentation nodes: build the albumentations transform, and show what it does."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from carvana_unet import augment  # noqa: E402
from carvana_unet.cache import ImageCache  # noqa: E402
from carvana_unet.pipelines.augmentation.params import AugmentationParams  # noqa: E402


def build_augmentation(options: AugmentationParams) -> dict[str, Any]:
    """The transform as albumentations' JSON, so training in another run applies exactly it."""
    return augment.to_config(augment.build_transform(options.steps, options.seed))


def _overlay(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    tinted = image.astype(np.float32)
    tinted[mask == 1] = 0.55 * tinted[mask == 1] + 0.45 * np.array([255, 40, 40])
    return tinted.astype(np.uint8)


def preview_augmentation(transform_config: dict[str, Any], cache: ImageCache, options: AugmentationParams) -> Figure:
    """A grid: each row an original with its mask in red, then random augmented draws."""
    # Seeded per (draw, row) as training is: a saved transform does not keep its random state.
    draw = augment.SeededAugmentation(augment.from_config(transform_config), options.seed)
    train_rows = cache.rows("train")
    rows = train_rows[:: max(1, len(train_rows) // options.preview_images)][: options.preview_images]
    columns = 1 + options.preview_draws
    figure, axes = plt.subplots(len(rows), columns, figsize=(3 * columns, 2.2 * len(rows)), squeeze=False)
    for r, row in enumerate(rows):
        image, mask = np.array(cache.images[row]), np.array(cache.masks[row])
        axes[r, 0].imshow(_overlay(image, mask))
        axes[r, 0].set_title(cache.index["image_id"].iloc[row], fontsize=8)
        for c in range(1, columns):
            augmented, augmented_mask = draw(image, mask, c, int(row))
            axes[r, c].imshow(_overlay(augmented, augmented_mask))
            axes[r, c].set_title(f"augmented #{c}", fontsize=8)
    for axis in axes.ravel():
        axis.axis("off")
    figure.suptitle("Augmentation preview: original | random draws (mask in red)")
    figure.tight_layout()
    return figure
