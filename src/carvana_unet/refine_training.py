"""Teaching the refiner: full-size crops along the U-Net's uncertain band, and a seeded fit on them."""

from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import keras
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from carvana_unet.augment import SeededAugmentation
from carvana_unet.refine import build_refiner, reach, uncertain

Crop = tuple[np.ndarray, np.ndarray]  # photo + coarse probability (S, S, 4) uint8, truth (S, S) uint8 0/1


def sample_crops(
    photo: np.ndarray,
    probabilities: np.ndarray,
    truth: np.ndarray,
    count: int,
    size: int,
    band: float,
    rng: np.random.Generator,
) -> list[Crop]:
    """`count` size x size crops centred on random pixels of the uncertain band, shifted to fit inside.

    The coarse probability is kept as uint8 (1/255 steps, far finer than the refiner's corrections)
    so that the crops fit one uint8 cache beside the photo.
    """
    height, width = probabilities.shape
    if height < size or width < size:
        raise ValueError(f"refinement.crop_size {size} is larger than a {width}x{height} photo: lower it")
    band_rows, band_cols = np.nonzero(uncertain(probabilities, band))
    if not len(band_rows):  # nothing uncertain: crops anywhere, which weigh nothing in the loss
        band_rows, band_cols = np.nonzero(np.ones_like(probabilities, dtype=bool))
    picks = rng.integers(0, len(band_rows), count)
    coarse = np.round(probabilities * 255).astype(np.uint8)
    crops = []
    for pick in picks:
        top = int(np.clip(band_rows[pick] - size // 2, 0, height - size))
        left = int(np.clip(band_cols[pick] - size // 2, 0, width - size))
        window = (slice(top, top + size), slice(left, left + size))
        crops.append((np.dstack([photo[window], coarse[window]]), truth[window].astype(np.uint8)))
    return crops


def photo_crops(photo: np.ndarray, probabilities: np.ndarray, truth: np.ndarray, row: int, options: dict) -> list[Crop]:
    """One training photo's crops, as options (the refinement parameters) ask, drawn from (seed, cache row):
    a photo gives the same crops whichever other photos are drawn beside it."""
    rng = np.random.default_rng([options["seed"], int(row)])
    count, size = options["crops_per_image"], options["crop_size"]
    return sample_crops(photo, probabilities, truth, count, size, options["band"], rng)


class CoarseJitter(NamedTuple):
    """U-Net-like mistakes put into training crops' coarse maps: how often, how wide, which kind."""

    chance: float = 0.0  # of a crop's map getting one
    size: int = 0  # the widest, in pixels (under 3: none)
    openings: float = 0.5  # the share that drop thin parts; the rest fill concavities (closings)


NO_JITTER = CoarseJitter()


class CropBatches(keras.utils.PyDataset):
    """One epoch of crop batches: order and augmentation draws a pure function of (seed, epoch, crop).

    The loss weight is 1 on the crop's uncertain band away from its border (where the refiner sees
    all it needs) and 0 elsewhere: it is trained on exactly the pixels it will be asked about.
    """

    def __init__(
        self,
        crops: np.ndarray,
        truths: np.ndarray,
        batch_size: int,
        epoch: int,
        seed: int,
        band: float,
        margin: int,
        augmentation: SeededAugmentation | None = None,
        jitter: CoarseJitter = NO_JITTER,
    ):
        super().__init__()
        self.crops, self.truths, self.batch_size = crops, truths, batch_size
        self.epoch, self.band, self.margin, self.augmentation = epoch, band, margin, augmentation
        self.seed, self.jitter = seed, jitter
        self.order = np.random.default_rng([seed, epoch]).permutation(len(crops))

    def __len__(self) -> int:
        return math.ceil(len(self.crops) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        photos, coarse, truths = [], [], []
        for row in rows:
            crop, truth = self.crops[row], self.truths[row]
            photo, labels = np.ascontiguousarray(crop[..., :3]), np.dstack([crop[..., 3], truth])
            if self.augmentation is not None:  # the coarse map and the truth move with the photo
                photo, labels = self.augmentation(photo, labels, self.epoch, int(row))
            photos.append(photo)
            coarse.append(self.jittered(labels[..., 0], int(row)))
            truths.append(labels[..., 1])
        coarse_map = np.stack(coarse).astype(np.float32) / 255.0
        weights = uncertain(coarse_map, self.band).astype(np.float32)
        if self.margin:
            border = np.ones_like(weights[0])
            border[self.margin : -self.margin, self.margin : -self.margin] = 0
            weights *= 1.0 - border
        return (
            (np.stack(photos).astype(np.float32) / 255.0, coarse_map[..., None]),
            np.stack(truths).astype(np.float32)[..., None],
            weights,
        )

    def jittered(self, coarse: np.ndarray, row: int) -> np.ndarray:
        """The coarse map with, at probability jitter.chance, a U-Net-like mistake over up to jitter.size
        pixels: thin parts lost (an opening) for a share jitter.openings of them, concavities filled (a
        closing) for the rest. On its own training photos the U-Net rarely errs that widely, so without it the refiner
        learns to trust the coarse map."""
        chance, size, openings = self.jitter
        if size < 3 or chance == 0:
            return coarse
        rng = np.random.default_rng([self.seed, self.epoch, row, 1])
        if rng.random() >= chance:
            return coarse
        width = 2 * int(rng.integers(1, size // 2 + 1)) + 1  # odd: a centred kernel shifts nothing
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
        operation = cv2.MORPH_CLOSE if rng.random() < 1.0 - openings else cv2.MORPH_OPEN
        return cv2.morphologyEx(np.ascontiguousarray(coarse), operation, kernel, borderType=cv2.BORDER_REPLICATE)


def fit_refiner(
    crops: np.ndarray,
    truths: np.ndarray,
    options: dict,
    augmentation: SeededAugmentation | None,
) -> tuple[keras.Model, pd.DataFrame]:
    """A refiner trained on the crops for options['epochs'] epochs; its per-epoch loss and band accuracy."""
    keras.utils.set_random_seed(options["seed"])
    model = build_refiner(options["filters"], tuple(options["dilations"]))
    steps = options["epochs"] * math.ceil(len(crops) / options["batch_size"])
    schedule = keras.optimizers.schedules.CosineDecay(options["learning_rate"], max(steps, 1))
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="binary_crossentropy",
        weighted_metrics=[keras.metrics.BinaryAccuracy(name="band_accuracy")],
    )
    records = []
    # One fit per epoch: each epoch's batches come from its own seed, whatever ran before.
    for epoch in tqdm(range(options["epochs"]), desc="training the refiner", unit="epoch"):
        batches = CropBatches(
            crops,
            truths,
            options["batch_size"],
            epoch,
            options["seed"],
            options["band"],
            reach(model),
            augmentation,
            CoarseJitter(options["coarse_jitter"], options["coarse_jitter_size"], options["coarse_jitter_openings"]),
        )
        logs = model.fit(batches, initial_epoch=epoch, epochs=epoch + 1, verbose=0).history
        records.append({"epoch": epoch, **{name: float(values[-1]) for name, values in logs.items()}})
    return model, pd.DataFrame(records, columns=["epoch", "band_accuracy", "loss"])
