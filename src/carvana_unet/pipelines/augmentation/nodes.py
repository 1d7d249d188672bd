"""Augmentation nodes: build the albumentations transform, and show what it does."""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import cv2  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from carvana_unet import augment  # noqa: E402
from carvana_unet.cache import ImageCache  # noqa: E402
from carvana_unet.pipelines.augmentation.params import AugmentationParams  # noqa: E402


def build_augmentation(options: AugmentationParams) -> dict[str, Any]:
    """The transform as albumentations' JSON, so training in another run applies exactly it."""
    return augment.to_config(augment.build_transform(options.steps, options.seed))


OUTLINE, HALO = (0, 255, 0), (0, 0, 0)  # lime on a black halo: visible on a car of any colour


def _outline(image: np.ndarray, car: np.ndarray) -> np.ndarray:
    """The photo with the mask's outline drawn over it (a tint would vanish on a car of the tint's colour)."""
    contours, _ = cv2.findContours(car.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    outlined = np.array(image, dtype=np.uint8, order="C")
    cv2.drawContours(outlined, contours, -1, HALO, thickness=3)
    cv2.drawContours(outlined, contours, -1, OUTLINE, thickness=1)
    return outlined


def preview_augmentation(transform_config: dict[str, Any], cache: ImageCache, options: AugmentationParams) -> Figure:
    """A grid: each row an original with its mask outlined, then random augmented draws."""
    # Seeded per (draw, row) as training is: a saved transform does not keep its random state.
    draw = augment.SeededAugmentation(augment.from_config(transform_config), options.seed)
    train_rows = cache.rows("train")
    rows = train_rows[:: max(1, len(train_rows) // options.preview_images)][: options.preview_images]
    columns = 1 + options.preview_draws
    figure, axes = plt.subplots(len(rows), columns, figsize=(3 * columns, 2.2 * len(rows)), squeeze=False)
    for r, row in enumerate(rows):
        image, mask = np.array(cache.images[row]), np.array(cache.masks[row])
        axes[r, 0].imshow(_outline(image, 2 * mask >= cache.mask_scale))
        axes[r, 0].set_title(cache.index["image_id"].iloc[row], fontsize=8)
        for c in range(1, columns):
            augmented, augmented_mask = draw(image, mask, c, int(row))
            axes[r, c].imshow(_outline(augmented, 2 * augmented_mask >= cache.mask_scale))
            axes[r, c].set_title(f"augmented #{c}", fontsize=8)
    for axis in axes.ravel():
        axis.axis("off")
    figure.suptitle("Augmentation preview: original | random draws (mask outlined in green)")
    figure.tight_layout()
    return figure
