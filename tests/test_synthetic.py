from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from omegaconf import OmegaConf
from PIL import Image

from carvana_unet import synthetic
from carvana_unet.layout import parse_image_id
from carvana_unet.synthetic_parts import FREQUENCY, Parts


def test_layout_and_formats(tiny_raw_template):
    raw = tiny_raw_template
    train = sorted(p.stem for p in (raw / "train").glob("*.jpg"))
    masks = sorted(p.stem.removesuffix("_mask") for p in (raw / "train_masks").glob("*_mask.gif"))
    assert len(train) == 48 and train == masks
    assert len(list((raw / "test").glob("*.jpg"))) == 16
    car, angle = parse_image_id(train[0])
    assert len(car) == 12 and 1 <= angle <= 16
    photo = Image.open(raw / "train" / f"{train[0]}.jpg")
    mask = Image.open(raw / "train_masks" / f"{train[0]}_mask.gif")
    assert (photo.format, photo.mode, photo.size) == ("JPEG", "RGB", (96, 64))
    assert (mask.format, mask.mode, mask.size) == ("GIF", "P", (96, 64))
    assert set(np.unique(np.asarray(mask))) == {0, 1}
    metadata = pd.read_csv(raw / "metadata.csv")
    assert list(metadata.columns) == ["id", "year", "make", "model", "trim1", "trim2"] and len(metadata) == 4
    submission = pd.read_csv(raw / "sample_submission.csv")
    assert list(submission.columns) == ["img", "rle_mask"]
    assert sorted(submission["img"]) == sorted(p.name for p in (raw / "test").glob("*.jpg"))


def test_same_seed_same_pixels_other_seed_other_cars():
    a, b = synthetic.make_dataset(2, 1, 96, 64, seed=3), synthetic.make_dataset(2, 1, 96, 64, seed=3)
    image_id = a.image_ids(a.train_cars)[5]
    np.testing.assert_array_equal(a.photo(image_id), b.photo(image_id))
    np.testing.assert_array_equal(a.mask(image_id), b.mask(image_id))
    assert synthetic.make_dataset(2, 1, 96, 64, seed=4).train_cars != a.train_cars


def test_shadow_is_in_the_photo_but_not_the_mask():
    data = synthetic.make_dataset(1, 1, 384, 256, seed=0)
    image_id = data.image_ids(data.train_cars)[4]
    photo, mask = data.photo(image_id).astype(float), data.mask(image_id)
    bottom = np.flatnonzero(mask.any(axis=1)).max()
    columns = np.flatnonzero(mask[bottom])
    below = photo[bottom + 3 : bottom + 6, columns.min() : columns.max()].mean()
    corner = photo[bottom + 3 : bottom + 6, :10].mean()
    assert mask[bottom + 3 :, :].sum() == 0
    assert below < corner - 20  # darker floor under the car


def test_even_five_cars_have_every_paint():
    # A small default dataset must still hold white cars (the hard case) for both the split's sides.
    data = synthetic.make_dataset(4, 1, 96, 64, seed=11)
    colours = [car.colour for car in data.train_cars + data.test_cars]
    assert sum(min(c) >= 228 for c in colours) == 1  # white
    assert sum(max(c) <= 30 for c in colours) == 1  # black
    assert sum(len(set(c)) == 1 and 90 <= c[0] < 180 for c in colours) == 1  # grey


def test_masks_have_no_holes_at_any_angle():
    # The background must be one connected region: a hole where cabin meets body is a label error.
    # (Only a roof rack's gap may enclose background; this car has none.)
    car = replace(synthetic.make_dataset(1, 1, 384, 256, seed=0).train_cars[0], parts=Parts())
    for angle in range(1, synthetic.ANGLES + 1):
        view = synthetic.car_view(car, angle, 384, 256)
        background = (1 - synthetic.render_mask(view, 384, 256)).astype(np.uint8)
        assert cv2.connectedComponents(background)[0] == 2, angle


def test_thin_parts_are_in_the_mask_as_thin_as_real_ones():
    # An antenna 1-3 pixels wide at Kaggle's size, rising clear of the roof, drawn in mask and photo.
    parts = Parts(antenna=(0.5, 0.12, 0.0, 2), mirrors=(0.06, 0.03, 3), roof_rack=(0.01, 6), spoiler=(0.02, 8, 4))
    car = replace(synthetic.make_dataset(1, 1, seed=0).train_cars[0], parts=parts)
    view = synthetic.car_view(car, 5, 1918, 1280)  # side view
    mask = synthetic.render_mask(view, 1918, 1280)
    bare = synthetic.render_mask(replace(view, parts=[]), 1918, 1280)
    above_roof = mask[: view.cabin[:, 1].min() - 20]  # the rack's rail is lower than that
    widths = above_roof.sum(axis=1)[above_roof.any(axis=1)]
    assert len(widths) > 100 and set(widths) <= {1, 2, 3}  # the vertical antenna: 3 px, 1 at its tip
    assert (mask >= bare).all() and mask.sum() - bare.sum() > 2000  # parts only add: mirrors, spoiler, rack
    photo = synthetic.render_photo(car, view, 1918, 1280, np.random.default_rng(0)).astype(float)
    rows, columns = np.nonzero(above_roof)
    assert photo[rows, columns].mean() < photo[rows, columns + 12].mean() - 100  # dark antenna on the backdrop


def test_parts_vary_per_car_and_by_seed():
    cars = synthetic.make_dataset(40, 1, 96, 64, seed=0).train_cars
    for name, frequency in FREQUENCY.items():
        share = np.mean([getattr(car.parts, name) is not None for car in cars])
        assert abs(share - frequency) < 0.25, name
    assert len({car.parts.antenna for car in cars if car.parts.antenna}) > 10  # sizes differ car to car


def test_coverage_matches_real_carvana():
    # Real train cars cover 13-36 % of the frame, median 20 %; the default data must look alike.
    options = OmegaConf.load(Path(__file__).parents[1] / "conf/base/parameters_generate.yml").synthetic
    data = synthetic.make_dataset(options.train_cars, options.test_cars, 480, 320, options.seed)
    coverage = [data.mask(image_id).mean() for image_id in data.image_ids(data.train_cars)]
    low, median, high = np.percentile(coverage, [5, 50, 95])
    assert 0.17 <= median <= 0.24 and low >= 0.10 and high <= 0.36, (low, median, high)


def test_white_car_silhouette_is_darker_than_the_backdrop():
    data = synthetic.make_dataset(4, 1, 384, 256, seed=11)
    white = next(c for c in data.train_cars + data.test_cars if min(c.colour) >= 228)
    view = synthetic.car_view(white, 1, 384, 256)
    photo = synthetic.render_photo(white, view, 384, 256, np.random.default_rng(0)).astype(float)
    row = int(view.body[:, 1].mean())  # halfway down the body, clear of cabin and wheels
    edge = int(np.flatnonzero(synthetic.render_mask(view, 384, 256)[row]).min())
    rim, inside, backdrop = photo[row, edge].mean(), photo[row, edge + 12].mean(), photo[row, edge - 4].mean()
    assert rim < inside - 25 and rim < backdrop - 15
