import cv2
import numpy as np
import pandas as pd
from PIL import Image

from carvana_unet import synthetic
from carvana_unet.layout import parse_image_id


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
    data = synthetic.make_dataset(1, 1, 384, 256, seed=0)
    for image_id in data.image_ids(data.train_cars):
        background = (1 - data.mask(image_id)).astype(np.uint8)
        assert cv2.connectedComponents(background)[0] == 2, image_id


def test_white_car_silhouette_is_darker_than_the_backdrop():
    data = synthetic.make_dataset(4, 1, 384, 256, seed=11)
    white = next(c for c in data.train_cars + data.test_cars if min(c.colour) >= 228)
    view = synthetic.car_view(white, 1, 384, 256)
    photo = synthetic.render_photo(white, view, 384, 256, np.random.default_rng(0)).astype(float)
    row = int(view.body[:, 1].mean())  # halfway down the body, clear of cabin and wheels
    edge = int(np.flatnonzero(synthetic.render_mask(view, 384, 256)[row]).min())
    rim, inside, backdrop = photo[row, edge].mean(), photo[row, edge + 12].mean(), photo[row, edge - 4].mean()
    assert rim < inside - 25 and rim < backdrop - 15
