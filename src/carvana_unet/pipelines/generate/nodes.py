"""Nodes that render the synthetic dataset; the catalog's RenderedCarvanaDataset does the rendering."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from carvana_unet import rle, synthetic
from carvana_unet.pipelines.generate.params import SyntheticParams

logger = logging.getLogger(__name__)


def plan_synthetic_carvana(options: SyntheticParams) -> tuple[synthetic.RenderPlan, pd.DataFrame, pd.DataFrame]:
    """The seeded cars and studios; the photos are rendered when the catalog saves the plan."""
    data = synthetic.make_dataset(
        options.train_cars,
        options.test_cars,
        options.width,
        options.height,
        options.seed,
        options.spp,
        options.shade_factor,
    )
    return synthetic.RenderPlan(data, options.workers), data.metadata(), data.sample_submission()


def describe_train_masks(masks: dict) -> tuple[pd.DataFrame, dict]:
    """`train_masks.csv` from the rendered GIFs, and how much of the frame the cars cover."""
    ids = sorted(masks)
    arrays = {image_id: masks[image_id]() for image_id in ids}
    table = pd.DataFrame({"img": [f"{i}.jpg" for i in ids], "rle_mask": [rle.encode(arrays[i]) for i in ids]})
    per_car = pd.Series({i: float(a.mean()) for i, a in arrays.items()}).groupby(lambda i: i.rsplit("_", 1)[0]).mean()
    report = {
        "train_photos": len(ids),
        "cars": len(per_car),
        "coverage_per_car": {
            k: round(float(np.percentile(per_car, q)), 4) for k, q in (("min", 0), ("median", 50), ("max", 100))
        },
    }
    logger.info(
        "cars cover %.1f-%.1f %% of the frame (median %.1f %%) over %d train cars; "
        "Kaggle's: 13.3-36.3 %% (median 20.3 %%)",
        *(100 * report["coverage_per_car"][k] for k in ("min", "max", "median")),
        len(per_car),
    )
    return table, report
