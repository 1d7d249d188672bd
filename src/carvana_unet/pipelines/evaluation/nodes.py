"""Evaluation nodes: Dice per validation image at full resolution, as Kaggle scored it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from carvana_unet import imaging  # noqa: E402
from carvana_unet.cache import ImageCache  # noqa: E402
from carvana_unet.ceiling import resolution_ceilings  # noqa: E402
from carvana_unet.dice import dice  # noqa: E402
from carvana_unet.input_pipeline import predict_probabilities  # noqa: E402
from carvana_unet.layout import image_id_to_mask_key  # noqa: E402
from carvana_unet.pipelines.evaluation.params import EvaluationParams  # noqa: E402
from carvana_unet.pipelines.ingestion.params import IngestionParams  # noqa: E402
from carvana_unet.pipelines.training.params import RefinementParams  # noqa: E402
from carvana_unet.refine import Refiner  # noqa: E402
from carvana_unet.serving import PackagedModel  # noqa: E402
from carvana_unet.thin_parts import region_dice, thin_region  # noqa: E402

log = logging.getLogger(__name__)
CEILINGS = ["ceiling_hard", "ceiling_soft"]
THIN_COLUMNS = ["dice_thin", "dice_thin_coarse", "ceiling_hard_thin", "ceiling_soft_thin"]


def _full_size_probabilities(
    model: keras.Model,
    refiner: Refiner | None,
    cache: ImageCache,
    train_images: dict[str, Callable],
    rows: np.ndarray,
    options: EvaluationParams,
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(row, the U-Net's upscaled probability, the final one: refined from the full-size photo when on)."""
    for row, probabilities in predict_probabilities(model, cache.images, rows, options.batch_size, options.flip_tta):
        meta = cache.index.iloc[row]
        coarse = imaging.to_original_size(probabilities, int(meta.height), int(meta.width), meta.aspect)
        if refiner is None:
            yield row, coarse, coarse
        else:
            yield row, coarse, refiner.refine(imaging.decode(train_images[meta.image_id]()), coarse)


def score_validation(
    model: keras.Model,
    refiner_model: keras.Model,
    cache: ImageCache,
    train_images: dict[str, Callable],
    train_masks: dict[str, Callable],
    options: EvaluationParams,
    refinement: RefinementParams,
) -> pd.DataFrame:
    """One row per validation image: Dice at each candidate threshold against the original GIF (the
    U-Net's alone too, `coarse@t`, when refinement is on), the same on thin parts alone (`thin@t`,
    `coarse_thin@t`; NaN for an image without any, see carvana_unet.thin_parts), and the Dice the
    input size allows (the resolution ceilings, see carvana_unet.ceiling)."""
    rows = cache.rows("validation")
    if not len(rows):
        raise ValueError("no validation images: set ingestion.validation_fraction above 0 to evaluate")
    thresholds = options.thresholds
    refiner = refinement.refiner(refiner_model)
    height, width = cache.images.shape[1:3]
    records = []
    predictions = _full_size_probabilities(model, refiner, cache, train_images, rows, options)
    for row, coarse, probabilities in tqdm(predictions, total=len(rows), desc="scoring at full size", unit="img"):
        meta = cache.index.iloc[row]
        truth = imaging.to_mask_array(train_masks[image_id_to_mask_key(meta.image_id)]())
        thin = thin_region(truth, options.thin_part_width)
        thin_truth, thin_probabilities = truth[thin], probabilities[thin]
        record = {"image_id": meta.image_id, "car_id": meta.car_id, "angle": int(meta.angle)}
        record.update({f"dice@{t:g}": dice(probabilities > t, truth) for t in thresholds})
        record.update({f"thin@{t:g}": region_dice(thin_probabilities > t, thin_truth) for t in thresholds})
        if refiner is not None:
            record.update({f"coarse@{t:g}": dice(coarse > t, truth) for t in thresholds})
            coarse_thin = coarse[thin]
            record.update({f"coarse_thin@{t:g}": region_dice(coarse_thin > t, thin_truth) for t in thresholds})
        record.update(resolution_ceilings(truth, height, width, meta.aspect, thin))
        records.append(record)
    return pd.DataFrame(records)


def summarize(scores: pd.DataFrame, options: EvaluationParams) -> tuple[pd.DataFrame, dict, dict, dict]:
    """Pick the threshold (best mean Dice unless fixed) and report mean, median, min and per angle."""
    columns = [c for c in scores.columns if c.startswith("dice@")]
    if options.threshold == "auto":
        best = max(columns, key=lambda c: scores[c].mean())
    else:  # EvaluationParams guarantees it is one of the thresholds scored
        best = f"dice@{float(options.threshold):g}"
    threshold = float(best.split("@")[1])
    per_image = scores[["image_id", "car_id", "angle"]].assign(dice=scores[best])
    per_image["dice_thin"] = scores[f"thin@{threshold:g}"]
    coarse_columns = [c for c in scores.columns if c.startswith("coarse@")]
    refined = bool(coarse_columns)
    if refined:  # the U-Net alone at its own best threshold: what refinement adds
        coarse_best = max(coarse_columns, key=lambda c: scores[c].mean())
        per_image["dice_coarse"] = scores[coarse_best]
        per_image["dice_thin_coarse"] = scores[coarse_best.replace("coarse@", "coarse_thin@")]
    ceilings = CEILINGS + [f"{c}_thin" for c in CEILINGS]
    per_image[ceilings] = scores[ceilings]
    per_angle = per_image.groupby("angle")["dice"].mean()
    metrics = {
        "dice_mean": float(per_image["dice"].mean()),
        "dice_median": float(per_image["dice"].median()),
        "dice_min": float(per_image["dice"].min()),
        "threshold": threshold,
        "images": len(per_image),
        "dice_per_angle": {f"{angle:02d}": float(value) for angle, value in per_angle.items()},
        # A perfect model at this input size: how much is lost to resolution, how much to the model.
        **{f"{c}_mean": float(per_image[c].mean()) for c in CEILINGS},
        **({"dice_coarse_mean": float(per_image["dice_coarse"].mean())} if refined else {}),
        # Antennas, mirror arms, rails: a few hundred pixels a car, invisible in the mean above.
        "thin_images": int(per_image["dice_thin"].notna().sum()),
        **{
            f"{column}_mean": float(per_image[column].mean())
            for column in THIN_COLUMNS
            if column in per_image and per_image[column].notna().any()
        },
    }
    log.info(
        "validation Dice at full resolution: mean %.4f, median %.4f, min %.4f (threshold %.2f; U-Net alone %s); "
        "the input size allows %.4f (soft targets %.4f); on thin parts %s",
        metrics["dice_mean"],
        metrics["dice_median"],
        metrics["dice_min"],
        threshold,
        f"{metrics['dice_coarse_mean']:.4f}" if refined else "the same: refinement off",
        metrics["ceiling_hard_mean"],
        metrics["ceiling_soft_mean"],
        _thin_summary(metrics),
    )
    mlflow_metrics = {f"eval_{k}": {"value": v, "step": 0} for k, v in metrics.items() if k != "dice_per_angle"}
    mlflow_metrics.update(
        {f"eval_dice_angle_{a}": {"value": v, "step": 0} for a, v in metrics["dice_per_angle"].items()}
    )
    return per_image, metrics, mlflow_metrics, {"threshold": threshold}


MISSED, EXTRA = (255, 0, 255), (0, 255, 255)  # stand out on any paint and on the grey studio


def error_picture(
    photo: np.ndarray, missed: np.ndarray, extra: np.ndarray, car: np.ndarray, margin: int = 24
) -> np.ndarray:
    """The photo within the car's box (plus `margin` pixels), with its wrong pixels painted."""
    picture = photo.copy()
    picture[missed], picture[extra] = MISSED, EXTRA
    rows, cols = np.nonzero(car)
    if not len(rows):
        return picture
    top, left = max(rows.min() - margin, 0), max(cols.min() - margin, 0)
    return picture[top : rows.max() + margin + 1, left : cols.max() + margin + 1]


def _thin_summary(metrics: dict) -> str:
    if "dice_thin_mean" not in metrics:
        return "none in these masks"
    coarse = f" (U-Net alone {metrics['dice_thin_coarse_mean']:.4f})" if "dice_thin_coarse_mean" in metrics else ""
    allowed = metrics.get("ceiling_hard_thin_mean")
    ceiling = f", the input size allows {allowed:.4f}" if allowed is not None else ""
    return f"{metrics['dice_thin_mean']:.4f}{coarse} over {metrics['thin_images']} images{ceiling}"


def plot_dice_histogram(per_image: pd.DataFrame) -> Figure:
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.hist(per_image["dice"], bins=30, color="#3060a0")
    axis.axvline(per_image["dice"].mean(), color="crimson", label=f"model: mean {per_image['dice'].mean():.4f}")
    if "dice_coarse" in per_image:
        mean = per_image["dice_coarse"].mean()
        axis.axvline(mean, color="darkorange", label=f"U-Net before refinement: mean {mean:.4f}")
    for column, style, label in (
        ("ceiling_hard", "--", "input-size ceiling"),
        ("ceiling_soft", ":", "soft-target ceiling"),
    ):
        mean = per_image[column].mean()
        axis.axvline(mean, color="black", linestyle=style, label=f"{label}: mean {mean:.4f}")
    axis.set_xlabel("Dice per validation image (full resolution)")
    axis.set_ylabel("images")
    axis.legend()
    figure.tight_layout()
    return figure


def plot_worst(
    per_image: pd.DataFrame,
    model: keras.Model,
    refiner_model: keras.Model,
    cache: ImageCache,
    train_images: dict[str, Callable],
    train_masks: dict[str, Callable],
    threshold: dict[str, float],
    options: EvaluationParams,
    refinement: RefinementParams,
) -> Figure:
    """The worst images, each its photo cropped to the car: car pixels missed in magenta, background
    called car in cyan. A whole frame at this size hides an error a few pixels wide along a roof."""
    worst = per_image.nsmallest(options.worst_images, "dice")
    position = {image_id: i for i, image_id in enumerate(cache.index["image_id"])}
    rows = np.array([position[i] for i in worst["image_id"]])
    figure, axes = plt.subplots(len(rows), 1, figsize=(7, 3.6 * len(rows)), squeeze=False)
    predictions = _full_size_probabilities(model, refinement.refiner(refiner_model), cache, train_images, rows, options)
    for axis, (row, _, probabilities), score in zip(axes[:, 0], predictions, worst["dice"]):
        meta = cache.index.iloc[row]
        truth = imaging.to_mask_array(train_masks[image_id_to_mask_key(meta.image_id)]()).astype(bool)
        predicted = probabilities > threshold["threshold"]
        missed, extra = truth & ~predicted, predicted & ~truth
        axis.imshow(error_picture(imaging.decode(train_images[meta.image_id]()), missed, extra, truth | predicted))
        axis.set_title(
            f"{meta.image_id}: Dice {score:.4f}, {missed.sum():,} car pixels missed, {extra.sum():,} too many",
            fontsize=9,
        )
        axis.axis("off")
    figure.suptitle("Worst validation images: car missed in magenta, background called car in cyan")
    figure.tight_layout()
    return figure


def package_model(
    model: keras.Model,
    refiner_model: keras.Model,
    threshold: dict[str, float],
    metrics: dict,
    ingestion: IngestionParams,
    options: EvaluationParams,
    refinement: RefinementParams,
) -> PackagedModel:
    """The model with the threshold evaluation chose, the resizing it was trained with and the
    refinement stage when on, for the registry."""
    tags = {"validation_dice": f"{metrics['dice_mean']:.4f}", "threshold": f"{threshold['threshold']:g}"}
    return PackagedModel(
        model, threshold["threshold"], ingestion.aspect, options.flip_tta, tags, refinement.refiner(refiner_model)
    )
