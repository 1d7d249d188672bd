"""Refiner variants on one trained U-Net: which settings fix the band, without retraining the U-Net.

Usage: python benchmarks/refiner.py --project DIR --raw DIR [--env base] [--variant epochs=6,dilations=1-1-1-1 ...]
--project is a project where `kedro run --env quality` (or, with --env base, `make run`) has run (its
data/06_models/unet.keras, data/05_model_input/training_cache and augmentation.json); --raw the folder with
its train/ and train_masks/ (e.g. DIR/data/01_raw/synthetic-quality). Each variant overrides that
configuration's refinement settings (conf/base, then conf/quality unless --env base): dilations are written
1-2-4-8. For each, the refiner is trained on crops of the training photos along the U-Net's band, as the
training pipeline draws them (seed 7), and scored on the validation photos at full size, as evaluation
scores them (its flip TTA setting, the best of its thresholds), on the whole car and on its thin parts;
its inference time a photo is the mean over the validation photos. The U-Net's full-size maps are computed
once and kept in 1/65535 steps, so the figures can differ from a pipeline run by about 1e-4 on the mean and
up to 5e-4 on the worst image (seed 7's quality U-Net: 0.9992, min 0.9887, against the pipeline's 0.9991, min
0.9885; seed 9's with 32 crops a photo: min 0.9975 against 0.9970). Confirm a chosen variant with the pipeline.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import records  # noqa: E402  (benchmarks/records.py)
import yaml  # noqa: E402
from PIL import Image  # noqa: E402

import carvana_unet.model.losses  # noqa: E402,F401  (registers the loss for loading)
from carvana_unet import augment, imaging  # noqa: E402
from carvana_unet.cache import read_cache  # noqa: E402
from carvana_unet.dice import dice  # noqa: E402
from carvana_unet.input_pipeline import predict_probabilities  # noqa: E402
from carvana_unet.refine import Refiner  # noqa: E402
from carvana_unet.refine_training import fit_refiner, photo_crops  # noqa: E402
from carvana_unet.thin_parts import region_dice, thin_region  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCALE = 65535


def settings_of(section: str, env: str) -> dict:
    """conf/base's `section` with conf/ENV's values on top, as `kedro run --env ENV` merges them."""
    settings = yaml.safe_load((ROOT / f"conf/base/parameters_{section}.yml").read_text())[section]
    if env != "base":
        settings.update(yaml.safe_load((ROOT / f"conf/{env}/parameters.yml").read_text()).get(section, {}))
    return settings


def parse_variant(text: str, settings: dict) -> dict:
    """`key=value,...`; a list setting's items are joined by '-' (dilations=1-2-4-8)."""
    variant = {}
    for item in filter(None, text.split(",")):
        key, value = item.split("=", 1)
        is_list = isinstance(settings.get(key), list)
        variant[key] = [yaml.safe_load(v) for v in value.split("-")] if is_list else yaml.safe_load(value)
    return variant


def coarse_maps(
    model: keras.Model, cache, rows: np.ndarray, shape: tuple[int, int], flip_tta: bool, path: Path
) -> np.ndarray:
    """The U-Net's upscaled probability for each row, memory-mapped on disk as uint16."""
    maps = np.lib.format.open_memmap(path, "w+", np.uint16, (len(rows), *shape))
    for i, (row, small) in enumerate(predict_probabilities(model, cache.images, rows, 8, flip_tta)):
        maps[i] = np.round(imaging.to_original_size(small, *shape, cache.index["aspect"].iloc[row]) * SCALE)
    return maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--env", default="quality", help="the configuration the project ran: quality or base")
    parser.add_argument("--variant", action="append", default=None, help="e.g. epochs=12,dilations=1-2-4-8")
    args = parser.parse_args()
    variants = args.variant or ["epochs=6,dilations=1-1-1-1", "epochs=12,dilations=1-1-1-1", "epochs=6", "epochs=12"]
    settings, evaluation = settings_of("refinement", args.env), settings_of("evaluation", args.env)
    thresholds = np.array(evaluation["thresholds"])
    model = keras.saving.load_model(args.project / "data/06_models/unet.keras", compile=False)
    cache = read_cache(args.project / "data/05_model_input/training_cache")
    transform = augment.from_config(
        yaml.safe_load((args.project / "data/05_model_input/augmentation.json").read_text())
    )
    ids = {split: cache.index["image_id"].to_numpy()[cache.rows(split)] for split in ("train", "validation")}

    def photo(image_id: str) -> np.ndarray:
        return imaging.decode((args.raw / "train" / f"{image_id}.jpg").read_bytes())  # as the pipeline reads it

    def truth(image_id: str) -> np.ndarray:
        return imaging.to_mask_array(Image.open(args.raw / "train_masks" / f"{image_id}_mask.gif"))

    shape = truth(ids["train"][0]).shape
    print(
        f"U-Net {args.project / 'data/06_models/unet.keras'}: {len(ids['train'])} training and "
        f"{len(ids['validation'])} validation photos {shape[1]}x{shape[0]}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        maps = {
            s: coarse_maps(model, cache, cache.rows(s), shape, evaluation["flip_tta"], Path(scratch) / f"{s}.npy")
            for s in ids
        }
        for text in variants:
            options = {**settings, **parse_variant(text, settings)}
            start = time.perf_counter()
            crops, truths = [], []
            for k, (row, image_id) in enumerate(zip(cache.rows("train"), ids["train"])):
                coarse = maps["train"][k].astype(np.float32) / SCALE
                for crop, crop_truth in photo_crops(photo(image_id), coarse, truth(image_id), row, options):
                    crops.append(crop)
                    truths.append(crop_truth)
            augmentation = augment.SeededAugmentation(transform, options["seed"])
            refiner_model, _ = fit_refiner(np.stack(crops), np.stack(truths), options, augmentation)
            trained = time.perf_counter() - start
            refiner = Refiner(refiner_model, options["band"], options["strip"], options["pixels_per_call"])
            scores, thin_scores, seconds = [], [], 0.0
            for k, image_id in enumerate(ids["validation"]):
                target, image = truth(image_id).astype(bool), photo(image_id)
                coarse = maps["validation"][k].astype(np.float32) / SCALE
                refiner.refine(image, coarse)  # warm: the first call for a new canvas shape compiles kernels
                started = time.perf_counter()
                refined = refiner.refine(image, coarse)
                seconds += time.perf_counter() - started
                thin = thin_region(target, evaluation["thin_part_width"])
                scores.append([dice(refined > t, target) for t in thresholds])
                thin_scores.append([region_dice(refined[thin] > t, target[thin]) for t in thresholds])
            scores, thin_scores = np.array(scores), np.array(thin_scores)
            best = int(scores.mean(axis=0).argmax())
            print(
                f"  {text:<34} Dice {scores[:, best].mean():.4f} min {scores[:, best].min():.4f} "
                f"thin parts {np.nanmean(thin_scores[:, best]):.3f} (threshold {thresholds[best]}), "
                f"crops and fit {trained / 60:.1f} min, {1000 * seconds / len(scores):.1f} ms a photo",
                flush=True,
            )
            figures = {
                "dice_mean": float(scores[:, best].mean()),
                "dice_min": float(scores[:, best].min()),
                "thin_mean": float(np.nanmean(thin_scores[:, best])),
                "fit_min": trained / 60,
                "ms_per_photo": 1000 * seconds / len(scores),
            }
            records.write("refiner", figures, {"variant": text, "project": str(args.project)})


if __name__ == "__main__":
    main()
