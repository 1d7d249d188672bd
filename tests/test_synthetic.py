import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from carvana_unet import synthetic
from carvana_unet.datasets import RenderedCarvanaDataset
from carvana_unet.layout import parse_image_id
from carvana_unet.pipelines.generate.nodes import describe_train_masks
from carvana_unet.studio import cars, meshes


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
    assert not list(raw.rglob("*.partial"))


def test_shadow_is_in_the_photo_but_not_the_mask(tiny_raw_template):
    # The floor just below the car is darker than the floor a few rows further down in the same
    # columns (the same columns, so the softbox's fall-off to the frame's sides does not count).
    darker = []
    for gif in sorted((tiny_raw_template / "train_masks").glob("*.gif")):
        mask = np.asarray(Image.open(gif))
        photo = np.asarray(Image.open(tiny_raw_template / "train" / gif.name.replace("_mask.gif", ".jpg"))).mean(2)
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        height = mask.shape[0]
        below = slice(rows[-1] + 1, min(rows[-1] + 3, height))
        further = slice(min(rows[-1] + 8, height - 4), min(rows[-1] + 11, height))
        under = photo[below, cols[0] + 2 : cols[-1] - 1].mean()
        floor = photo[further, cols[0] + 2 : cols[-1] - 1].mean()
        assert mask[below].sum() == 0
        darker.append(floor - under)
    assert np.mean(np.array(darker) > 0) > 0.8 and np.median(darker) > 8, np.round(darker)


def test_views_go_round_the_turntable_from_the_nose():
    nose = (np.array([[1.0, 0.5, 0.0]], np.float32), np.zeros((0, 3), np.uint32))
    directions = [meshes.turn(nose, synthetic.degrees(angle))[0][0] for angle in range(1, 17)]
    np.testing.assert_allclose(directions[0], [0, 0.5, 1], atol=1e-6)  # 01: the nose faces the camera (+z)
    np.testing.assert_allclose(directions[8], [0, 0.5, -1], atol=1e-6)  # 09: the rear
    steps = [np.degrees(np.arccos(np.clip(a[[0, 2]] @ b[[0, 2]], -1, 1))) for a, b in zip(directions, directions[1:])]
    np.testing.assert_allclose(steps, 22.5, atol=1e-4)


def test_even_five_cars_hold_the_hard_paints_and_every_car_thin_parts():
    data = synthetic.make_dataset(4, 1, 96, 64, seed=11)
    paints = [car.design.paint.name for car in data.train_cars + data.test_cars]
    assert {"white", "black", "silver"} <= set(paints)
    for car in data.train_cars + data.test_cars:
        parts = {name: mesh for name, _, mesh in cars.car_parts(car.design, np.random.default_rng(car.seed))}
        antenna = parts["antenna"][0]
        assert np.ptp(antenna[:, 2]) <= 0.012  # a few millimetres thick: one to three pixels in a photo
        assert {"mirrors", "mirror_arms", "tyres", "rims", "glass"} <= set(parts)


def test_variety_of_bodies_paints_and_framing():
    data = synthetic.make_dataset(120, 1, seed=2)
    designs = [car.design for car in data.train_cars]
    assert set(d.body for d in designs) == set(cars.BODY_TYPES)
    assert {"white", "silver", "grey", "black", "colour"} == {d.paint.name for d in designs}
    assert np.ptp([d.paint.roughness for d in designs]) > 0.2 and np.ptp([d.paint.metallic for d in designs]) > 0.5
    coverage = np.array([car.coverage for car in data.train_cars])
    assert coverage.min() >= 0.13 and coverage.max() <= 0.36 and abs(np.median(coverage) - 0.20) < 0.02
    assert len({round(car.studio.camera_height, 2) for car in data.train_cars}) > 50


BOX_HEAD_ON = """
import json, sys
import numpy as np
from carvana_unet.studio import cars, meshes, render, scene
mi = scene.mitsuba()
design = cars.random_design(np.random.default_rng(0), "white")
# Camera at depth 1 from the box's front face, 90 degree field: 32 pixels a unit across 64 pixels.
# Edges fall 0.3 and 0.7 into pixels, so that "at least half covered" decides each border pixel.
x0, x1 = -0.5 - 0.7 / 32, 0.5 + 0.3 / 32
y0, y1 = 1.0 - 0.25 - 0.3 / 32, 1.0 + 0.25 + 0.7 / 32
box = meshes.box(((x0 + x1) / 2, (y0 + y1) / 2, -0.5), (x1 - x0, y1 - y0, 1.0))
studio = scene.Studio(1.0, 1.0, 90.0, 1.0, (0.8, 0.8, 0.8), 3.0, 1.0, 0.3, 0.0, 0.8)
car = scene.CarScene(mi, design, [("body", "paint", box)], studio, 16, 12, 4)
result = render.render_view(mi, car, 0.0, 64, 48, seed=1)
json.dump({"mask": result.mask.tolist(), "photo": result.photo.mean(2).tolist()}, sys.stdout)
"""


def test_mask_of_a_box_seen_head_on_is_exact_to_the_pixel():
    # Rendered in a fresh process, as the generator does: Mitsuba's LLVM must load before TensorFlow.
    out = subprocess.run([sys.executable, "-c", BOX_HEAD_ON], capture_output=True, text=True, check=True)
    mask = np.array(json.loads(out.stdout)["mask"])
    expected = np.zeros((48, 64), np.uint8)
    # columns: left edge at 15.3 (pixel 15 is 70 % box), right edge at 48.3 (pixel 48 is 30 % box);
    # rows (downwards, 8 pixels a quarter unit): top edge at 15.3 (pixel 15 is 70 % box), bottom
    # edge at 32.3 (pixel 32 is 30 % box).
    expected[15:32, 15:48] = 1
    np.testing.assert_array_equal(mask, expected)


def test_a_rerun_renders_only_the_missing_photos_and_drops_other_seeds_and_renderers_files(tmp_path):
    dataset = RenderedCarvanaDataset(str(tmp_path))
    data = synthetic.make_dataset(1, 1, 64, 48, seed=4)
    dataset.save(synthetic.RenderPlan(data, workers=1))
    photos = sorted((tmp_path / "train").glob("*.jpg")) + sorted((tmp_path / "test").glob("*.jpg"))
    assert len(photos) == 32 and len(list((tmp_path / "train_masks").glob("*.gif"))) == 16
    before = {p: p.stat().st_mtime_ns for p in photos}
    photos[3].unlink()
    (tmp_path / "train" / "0123456789ab_01.jpg").write_bytes(b"another seed's photo")
    dataset.save(synthetic.RenderPlan(data, workers=1))
    after = {
        p: p.stat().st_mtime_ns
        for p in sorted((tmp_path / "train").glob("*.jpg")) + sorted((tmp_path / "test").glob("*.jpg"))
    }
    assert set(after) == set(before)
    assert [p for p in after if after[p] != before[p]] == [photos[3]]
    (tmp_path / "render_fingerprint.txt").write_text("another renderer")
    dataset.save(synthetic.RenderPlan(data, workers=1))
    rerendered = {p: p.stat().st_mtime_ns for p in after}
    assert all(rerendered[p] != after[p] for p in after)  # nothing kept from another renderer
    masks = dataset.load()
    assert len(masks) == 16 and set(np.unique(masks[sorted(masks)[0]]())) == {0, 1}


def test_same_seed_same_files_whatever_was_rendered_before_in_the_process(tmp_path):
    # Once with the view before it in the same process, once alone: the film's sums must not depend
    # on which thread traced which sample.
    data = synthetic.make_dataset(1, 1, 64, 48, seed=7)
    ids = data.image_ids(data.train_cars)[:2]
    synthetic.write_images(data, ids, tmp_path / "a", "train", workers=1)
    synthetic.write_images(data, ids[1:], tmp_path / "b", "train", workers=1)
    for path in synthetic.image_files(tmp_path / "a", ids[1], "train"):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()


LIGHT_ORDER = """
import json, sys
import numpy as np
from carvana_unet.studio import cars, meshes, scene
mi = scene.mitsuba()
design = cars.random_design(np.random.default_rng(0), "white")
studio = scene.random_studio(np.random.default_rng(0))
box = [("body", "paint", meshes.box((0.0, 0.5, 0.0), (1.0, 1.0, 2.0)))]
orders = set()
for _ in range(20):
    car = scene.CarScene(mi, design, box, studio, 16, 12, 1)
    orders.add(tuple(e.get_shape().id() if e.get_shape() else "room" for e in car.photo.emitters()))
json.dump(sorted(orders), sys.stdout)
"""


def test_every_load_of_a_scene_lists_its_lights_in_one_order():
    # The light a path samples is picked by index: were the list reordered from one load to the
    # next, the same seed would give other noise in every pixel, and another photo.
    out = subprocess.run([sys.executable, "-c", LIGHT_ORDER], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [["key", "fill_left", "fill_right", "room"]]


def test_train_masks_table_and_coverage_report():
    masks = {"abc_01": lambda: np.eye(4, dtype=np.uint8), "abc_02": lambda: np.zeros((4, 4), np.uint8)}
    table, report = describe_train_masks(masks)
    assert list(table["img"]) == ["abc_01.jpg", "abc_02.jpg"] and table["rle_mask"][1] == ""
    assert report["coverage_per_car"]["median"] == pytest.approx(0.125)


def test_rendering_failure_names_the_folder(tmp_path):
    data = synthetic.make_dataset(1, 1, 64, 48, seed=4)
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(RuntimeError, match=str(blocked)):
        list(synthetic.render_jobs(data, blocked, [(data.train_cars[0].car_id, "train", [1])], workers=1))
