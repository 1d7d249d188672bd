"""write_predictions on a hand-made stream: the files it writes, and OpenCV's own pool off while it runs."""

import cv2
import numpy as np
from PIL import Image

from carvana_unet.predictions import Prediction, PredictionStream, write_predictions
from carvana_unet.segmenter import Photo, cutout

PIXELS = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
MASK = np.zeros((6, 8), np.uint8)
MASK[2:4, 3:6] = 1


def test_predictions_are_written_with_opencvs_pool_off_and_it_comes_back_after(tmp_path, opencv_pool_of_two):
    pool_sizes = []

    def produce(done: set[str]):
        for name in ("a.jpg", "b.jpg"):
            pool_sizes.append(cv2.getNumThreads())
            yield Prediction(name, Photo(MASK.shape, PIXELS[:2, :2], PIXELS), MASK)

    report = write_predictions(tmp_path, PredictionStream(["a.jpg", "b.jpg"], produce))
    assert cv2.getNumThreads() == 2
    assert pool_sizes == [1, 1]
    assert report["written"] == ["a.jpg", "b.jpg"] and not report["failed"]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "masks" / "b.png")), MASK * 255)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "cutouts" / "b.png")), cutout(PIXELS, MASK))
