"""Nodes that draw the synthetic dataset; pixels are drawn lazily, one file at a time."""

from __future__ import annotations

from functools import partial

import pandas as pd
from PIL import Image

from carvana_unet import synthetic
from carvana_unet.layout import image_id_to_mask_key
from carvana_unet.pipelines.generate.params import SyntheticParams


def generate_synthetic_carvana(
    options: SyntheticParams,
) -> tuple[dict, dict, dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Describe the dataset and hand each image to the catalog as a loader to call when saving."""
    data = synthetic.make_dataset(options.train_cars, options.test_cars, options.width, options.height, options.seed)

    def photo(image_id: str) -> Image.Image:
        return Image.fromarray(data.photo(image_id))

    def mask(image_id: str) -> Image.Image:
        return synthetic.mask_to_gif(data.mask(image_id))

    train_ids, test_ids = data.image_ids(data.train_cars), data.image_ids(data.test_cars)
    return (
        {i: partial(photo, i) for i in train_ids},
        {image_id_to_mask_key(i): partial(mask, i) for i in train_ids},
        {i: partial(photo, i) for i in test_ids},
        data.metadata(),
        data.train_masks_csv(),
        data.sample_submission(),
    )
