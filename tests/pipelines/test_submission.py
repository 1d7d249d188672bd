"""The submission node: its rows are the masks a real (tiny) model predicts, made with OpenCV's own pool
off while it runs and back on after."""

from __future__ import annotations

import io

import cv2
import keras
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from carvana_unet import rle
from carvana_unet.pipelines.ingestion.params import IngestionParams
from carvana_unet.pipelines.submission.nodes import make_submission
from carvana_unet.pipelines.submission.params import SubmissionParams
from carvana_unet.pipelines.training.params import RefinementParams
from carvana_unet.refine import build_refiner

HEIGHT, WIDTH = 64, 96  # the photos; the model sees half that


def jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    pixels[16:48, 24:72] = 255  # a bright car the 1x1 model below finds
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.mark.parametrize("refined", [False, True])
def test_rows_are_made_with_opencvs_pool_off_and_it_comes_back_after(refined, opencv_pool_of_two):
    brightness = keras.layers.Conv2D(1, 1, activation="sigmoid")
    unet = keras.Sequential([keras.Input((HEIGHT // 2, WIDTH // 2, 3)), brightness])
    unet.set_weights([np.full((1, 1, 3, 1), 10.0, np.float32), np.array([-25.0], np.float32)])  # bright: car
    pool_sizes = []

    def loader(seed: int):
        def load() -> bytes:
            pool_sizes.append(cv2.getNumThreads())
            return jpeg(seed)

        return load

    names = [f"car_{i:02d}" for i in range(1, 5)]
    rows = make_submission(
        unet,
        build_refiner(4, (1,)),  # untrained: returns the coarse probability unchanged
        {name: loader(i) for i, name in enumerate(names)},
        pd.DataFrame({"img": [f"{name}.jpg" for name in names]}),
        {"threshold": 0.5},
        IngestionParams(aspect="stretch"),
        RefinementParams(enabled=refined),
        SubmissionParams(batch_size=2, workers=2),
    )
    written = list(rows.produce(set()))
    assert cv2.getNumThreads() == 2
    assert pool_sizes == [1] * len(names)
    assert [row[0] for row in written] == [f"{name}.jpg" for name in names]
    for _, code, height, width in written:
        mask = rle.decode(code, (height, width))
        assert (height, width) == (HEIGHT, WIDTH)
        assert mask[20:44, 28:68].all() and not mask[:8].any()  # the bright box, not the border
