"""Ingestion nodes: index the raw files, validate them, split by car, resize into the cache."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from carvana_unet import imaging
from carvana_unet.cache import ResizedSamples, Sample
from carvana_unet.datasets.raw_datasets import FileLoaders
from carvana_unet.layout import CarvanaDataError, mask_key_to_image_id, parse_image_id
from carvana_unet.pipelines.ingestion.params import IngestionParams

log = logging.getLogger(__name__)


def index_images(
    train_images: FileLoaders, train_masks: FileLoaders, metadata: pd.DataFrame, options: IngestionParams
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """Pair photos with masks by name and join metadata.csv; nothing is decoded yet."""
    problems = []
    mask_ids = {mask_key_to_image_id(key): key for key in train_masks}
    for image_id in sorted(set(train_images) - set(mask_ids)):
        problems.append({"file": f"{image_id}{train_images.suffix}", "problem": "image without a mask in train_masks/"})
    for image_id in sorted(set(mask_ids) - set(train_images)):
        problems.append({"file": f"{mask_ids[image_id]}{train_masks.suffix}", "problem": "mask without an image"})
    known_cars = set(metadata["id"].astype(str))
    rows = []
    for image_id in sorted(set(train_images) & set(mask_ids)):
        car_id, angle = parse_image_id(image_id)
        if car_id not in known_cars:
            problems.append(
                {"file": f"{image_id}{train_images.suffix}", "problem": f"car {car_id} is missing from metadata.csv"}
            )
            continue
        rows.append({"image_id": image_id, "mask_key": mask_ids[image_id], "car_id": car_id, "angle": angle})
    if not rows and not problems:
        raise CarvanaDataError("no train images paired with masks: the raw folder is not Carvana-shaped")
    index = pd.DataFrame(rows, columns=["image_id", "mask_key", "car_id", "angle"])
    index = index.merge(metadata.rename(columns={"id": "car_id"}).astype({"car_id": str}), on="car_id", how="left")
    return index, problems


def _inspect(train_images: FileLoaders, train_masks: FileLoaders, row: Any) -> dict[str, Any]:
    """The pair's full size, or the problem that makes it unusable, naming the file."""
    mask_file = f"{row.mask_key}{train_masks.suffix}"
    try:
        image = imaging.decode(train_images[row.image_id]())
    except Exception as error:  # noqa: BLE001 - any decoder failure means the file is unusable
        return {"file": f"{row.image_id}{train_images.suffix}", "problem": f"unreadable or truncated image ({error})"}
    try:
        mask = train_masks[row.mask_key]()
        mask.load()
    except Exception as error:  # noqa: BLE001
        return {"file": mask_file, "problem": f"unreadable or truncated mask ({error})"}
    if (mask.height, mask.width) != image.shape[:2]:
        return {
            "file": mask_file,
            "problem": f"mask is {mask.width}x{mask.height} but its image is {image.shape[1]}x{image.shape[0]}",
        }
    try:
        imaging.to_mask_array(mask)
    except ValueError as error:
        return {"file": mask_file, "problem": str(error)}
    return {"height": image.shape[0], "width": image.shape[1]}


def validate_images(
    index: pd.DataFrame,
    index_problems: list[dict[str, str]],
    train_images: FileLoaders,
    train_masks: FileLoaders,
    options: IngestionParams,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Decode every pair once; stop on any problem, or skip and report it when allowed."""
    results = imaging.bounded_map(
        lambda row: _inspect(train_images, train_masks, row), (r for r in index.itertuples()), options.workers
    )
    checked = list(tqdm(results, total=len(index), desc="validating", unit="img"))
    problems = index_problems + [r for r in checked if "problem" in r]
    good = [i for i, r in enumerate(checked) if "problem" not in r]
    valid = index.iloc[good].copy()
    valid["height"] = [checked[i]["height"] for i in good]
    valid["width"] = [checked[i]["width"] for i in good]
    if problems and options.on_bad_input == "error":
        listing = "\n".join(f"  {p['file']}: {p['problem']}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CarvanaDataError(
            f"{len(problems)} bad raw file(s):\n{listing}{more}\n"
            "Fix or remove them, or set ingestion.on_bad_input: skip to leave them out (listed in the report)."
        )
    if not len(valid):
        raise CarvanaDataError("no usable train images remain after validation; see the problems above")
    for problem in problems:
        log.warning("skipped %s: %s", problem["file"], problem["problem"])
    report = {"images": len(index) + len(index_problems), "usable": len(valid), "skipped": problems}
    return valid.reset_index(drop=True), report


def split_by_car(index: pd.DataFrame, options: IngestionParams) -> pd.DataFrame:
    """Put all angles of a car on one side, so validation Dice is measured on unseen cars."""
    fraction = options.validation_fraction
    cars = np.array(sorted(index["car_id"].unique()))
    n_validation = max(1, round(fraction * len(cars))) if fraction > 0 and len(cars) > 1 else 0
    shuffled = np.random.default_rng(options.split_seed).permutation(cars)
    validation_cars = set(shuffled[:n_validation])
    split = index.copy()
    split["split"] = np.where(split["car_id"].isin(validation_cars), "validation", "train")
    log.info("split %d cars: %d train, %d validation", len(cars), len(cars) - n_validation, n_validation)
    return split


def resize_for_model(
    index: pd.DataFrame, train_images: FileLoaders, train_masks: FileLoaders, options: IngestionParams
) -> ResizedSamples:
    """A lazy stream of resized pairs: the cache dataset pulls them one by one while writing."""
    height, width, aspect = options.input_height, options.input_width, options.aspect

    def resize(row: Any) -> tuple[np.ndarray, np.ndarray]:  # a row of index.itertuples()
        image = imaging.decode_to_model_size(train_images[row.image_id](), height, width, aspect)[0]
        mask = imaging.to_mask_array(train_masks[row.mask_key]())
        return image, imaging.to_model_size(mask, height, width, aspect, is_mask=True, coverage=options.soft_targets)

    def stream() -> Iterator[Sample]:
        resized = imaging.bounded_map(resize, index.itertuples(), options.workers)
        yield from tqdm(resized, total=len(index), desc=f"resizing to {width}x{height}", unit="img")

    mask_scale = imaging.COVERAGE_SCALE if options.soft_targets else 1  # the value of a fully covered pixel
    cached_index = index.drop(columns=["mask_key"]).assign(aspect=aspect, mask_scale=mask_scale)
    return ResizedSamples(cached_index, height, width, stream)
