"""The full-resolution refiner: where it acts, that training it fixes a blurred outline, and that reruns agree."""

from __future__ import annotations

import cv2
import keras
import numpy as np
import pytest

from carvana_unet import augment, imaging
from carvana_unet.dice import dice
from carvana_unet.refine import Refiner, band_windows, build_refiner, interior_refiner, reach, uncertain, window
from carvana_unet.refine_training import CoarseJitter, CropBatches, fit_refiner, photo_crops, sample_crops

OPTIONS = {"filters": 8, "dilations": [1, 1, 1], "epochs": 12, "batch_size": 16, "learning_rate": 0.003}
OPTIONS |= {"band": 0.02, "seed": 3, "coarse_jitter": 0.0, "coarse_jitter_size": 0, "coarse_jitter_openings": 0.5}


def studio_photo(seed: int, height: int = 96, width: int = 144) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A coloured blob on a light backdrop, its true mask, and the blurred probability a 6x smaller
    model's perfect answer would upscale to (area down, bilinear up)."""
    rng = np.random.default_rng(seed)
    truth = np.zeros((height, width), np.uint8)
    centre = (int(rng.integers(50, 94)), int(rng.integers(40, 56)))
    cv2.ellipse(
        truth, centre, (int(rng.integers(30, 45)), int(rng.integers(18, 28))), float(rng.uniform(0, 40)), 0, 360, 1, -1
    )
    photo = np.empty((height, width, 3), np.uint8)
    photo[:] = rng.integers(190, 230, 3)
    photo[truth.astype(bool)] = rng.integers(20, 160, 3)
    small = imaging.to_model_size(truth, height // 6, width // 6, "stretch", is_mask=True)
    coarse = imaging.to_original_size(small.astype(np.float32), height, width, "stretch")
    return photo, truth, coarse


def test_an_untrained_refiner_returns_the_coarse_probability():
    photo, _, coarse = studio_photo(0)
    refined = Refiner(build_refiner(), band=0.02, strip=16).refine(photo, coarse)
    np.testing.assert_allclose(refined, coarse, atol=1e-5)


def test_strips_cover_the_band_merge_close_runs_and_windows_repeat_the_edge():
    band = np.zeros((50, 70), bool)
    band[0, [0, 5, 20]] = True  # 5 is within 2 * 3 columns of 0: one window; 20 is not
    band[20, 35:40] = True
    band[[30, 49], [10, 69]] = True  # two strips of 16 rows; the last strip has 2 rows
    boxes = band_windows(band, 16, 3)
    assert boxes.tolist() == [[0, 16, 0, 6], [0, 16, 20, 21], [16, 32, 10, 11], [16, 32, 35, 40], [48, 50, 69, 70]]
    covered = np.zeros_like(band)
    for top, bottom, left, right in boxes:
        covered[top:bottom, left:right] = True
    assert covered[band].all()
    array = np.arange(50 * 70, dtype=np.float32).reshape(50, 70)
    padded = np.pad(array, 3, mode="edge")
    for top, bottom, left, right in boxes:  # at the edges and inside
        expected = padded[top : bottom + 6, left : right + 6]
        np.testing.assert_array_equal(window(array, np.array([top, bottom, left, right]), 3), expected)
    assert reach(build_refiner(dilations=(1, 2, 4))) == 7


def test_the_strip_canvas_gives_what_the_network_gives_on_the_whole_photo():
    # Each band pixel must come out as if the network had seen the whole photo (edges repeated): the
    # windows on a shared canvas, the calls into Keras and the strip height must not matter.
    photo, _, coarse = studio_photo(2)
    model = build_refiner(dilations=(1, 2))
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    reach_ = reach(model)
    padded = [
        np.pad(photo, ((reach_,) * 2, (reach_,) * 2, (0, 0)), mode="edge")[None] / np.float32(255),
        np.pad(coarse, reach_, mode="edge")[None, ..., None],
    ]
    whole = model.predict_on_batch(padded)[0, reach_:-reach_, reach_:-reach_, 0]
    # The unpadded twin that refine runs gives the same pixels, without the margin.
    np.testing.assert_allclose(interior_refiner(model).predict_on_batch(padded)[0, ..., 0], whole, atol=1e-6)
    band = uncertain(coarse, 0.02)
    for strip, per_call in ((8, 1), (24, 1 << 19)):
        refined = Refiner(model, band=0.02, strip=strip, pixels_per_call=per_call).refine(photo, coarse)
        np.testing.assert_allclose(refined[band], whole[band], atol=1e-5)
        np.testing.assert_array_equal(refined[~band], coarse[~band])
    in_place = coarse.copy()
    assert Refiner(model, band=0.02, strip=8, pixels_per_call=1).refine(photo, in_place, in_place=True) is in_place
    np.testing.assert_allclose(in_place[band], whole[band], atol=1e-5)


def test_the_unpadded_twin_keeps_a_mixed_precision_refiners_dtype_policy():
    # A refiner trained under mixed_float16 and loaded where the global policy is float32 must still
    # compute in float16, as the saved model would, not in the policy that happens to be global.
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_refiner(dilations=(1, 1))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    photo, _, coarse = studio_photo(3)
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(0, 0.3, w.shape).astype(np.float32) for w in model.get_weights()])
    interior = interior_refiner(model)
    assert {layer.dtype_policy.name for layer in interior.layers if layer.weights} == {"mixed_float16"}
    inputs = [photo[None] / np.float32(255), coarse[None, ..., None]]
    np.testing.assert_array_equal(
        interior.predict_on_batch(inputs)[0, ..., 0], model.predict_on_batch(inputs)[0, 2:-2, 2:-2, 0]
    )


def test_the_band_is_the_same_open_interval_for_a_full_map_and_a_batch_of_crops():
    # Inference tests a 2-D map with cv2.inRange, training a crop batch with numpy: one set of pixels.
    edges = np.float32([0.02, 0.98])
    values = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, 1), [0, 0.5, 1]]).astype(np.float32)
    grid = np.random.default_rng(0).permutation(np.resize(values, 64 * 48)).reshape(48, 64).astype(np.float32)
    expected = (grid > np.float32(0.02)) & (grid < np.float32(0.98))
    assert uncertain(grid, 0.02).dtype == bool
    np.testing.assert_array_equal(uncertain(grid, 0.02), expected)
    np.testing.assert_array_equal(uncertain(np.stack([grid, grid]), 0.02), np.stack([expected, expected]))
    assert uncertain(grid, 0.02).sum() == expected.sum() > 0


def test_only_the_uncertain_band_changes():
    photo, _, coarse = studio_photo(1)
    model = build_refiner()
    model.get_layer("correction").set_weights([np.full((1, 1, 8, 1), 0.5, np.float32), np.ones(1, np.float32)])
    refined = Refiner(model, band=0.02, strip=16).refine(photo, coarse)
    outside = ~uncertain(coarse, 0.02)
    np.testing.assert_array_equal(refined[outside], coarse[outside])
    assert (refined[~outside] > coarse[~outside]).all()  # a positive correction raised every band pixel


@pytest.fixture(scope="module")
def crops():
    pairs = []
    for seed in range(6):
        photo, truth, coarse = studio_photo(seed)
        pairs += sample_crops(photo, coarse, truth, 24, 32, 0.02, np.random.default_rng(seed))
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def test_a_trained_refiner_sharpens_the_outline_beyond_the_low_resolution_ceiling(crops):
    steps = [{"name": "HorizontalFlip", "p": 0.5}]
    augmentation = augment.SeededAugmentation(augment.build_transform(steps), seed=1)
    model, history = fit_refiner(*crops, OPTIONS, augmentation)
    assert list(history["epoch"]) == list(range(12))
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    refiner = Refiner(model, band=0.02, strip=16)
    before, after = [], []
    for seed in (10, 11, 12):  # photos it never saw
        photo, truth, coarse = studio_photo(seed)
        before.append(dice(coarse > 0.5, truth))
        after.append(dice(refiner.refine(photo, coarse) > 0.5, truth))
    assert np.mean(after) > np.mean(before) + 0.01, (before, after)


def test_training_the_refiner_twice_gives_the_same_weights(crops):
    subset = (crops[0][:48], crops[1][:48])
    options = OPTIONS | {"epochs": 1}
    first, _ = fit_refiner(*subset, options, None)
    second, _ = fit_refiner(*subset, options, None)
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_crops_centre_on_the_band_and_stay_inside_the_photo():
    photo, truth, coarse = studio_photo(4)
    picked = sample_crops(photo, coarse, truth, 10, 32, 0.02, np.random.default_rng(0))
    assert len(picked) == 10
    for crop, crop_truth in picked:
        assert crop.shape == (32, 32, 4) and crop_truth.shape == (32, 32)
        assert uncertain(crop[..., 3] / 255.0, 0.02).any()
    with pytest.raises(ValueError, match="crop_size 128 is larger than a 144x96 photo"):
        sample_crops(photo, coarse, truth, 1, 128, 0.02, np.random.default_rng(0))


def test_a_photos_crops_depend_on_its_cache_row_not_on_the_order_it_comes_in():
    photo, truth, coarse = studio_photo(4)
    options = OPTIONS | {"crops_per_image": 3, "crop_size": 32}
    first, again = photo_crops(photo, coarse, truth, 5, options), photo_crops(photo, coarse, truth, 5, options)
    other = photo_crops(photo, coarse, truth, 6, options)
    assert len(first) == 3
    for (a, a_truth), (b, b_truth) in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a_truth, b_truth)
    assert any(not np.array_equal(a, b) for (a, _), (b, _) in zip(first, other, strict=True))


def test_coarse_jitter_fills_concavities_or_drops_thin_parts_the_same_way_every_run():
    # A car with a notch and an antenna, blurred as the U-Net's upscaled map is.
    truth = np.zeros((64, 64), np.uint8)
    truth[20:60, 8:56] = 1
    truth[20:36, 28:36] = 0  # a notch of backdrop, 8 px wide
    truth[4:20, 44] = 1  # an antenna, 1 px wide
    coarse = np.round(cv2.GaussianBlur(truth.astype(np.float32), (0, 0), 1.0) * 255).astype(np.uint8)
    crops = np.repeat(np.dstack([np.zeros((64, 64, 3), np.uint8), coarse])[None], 40, axis=0)
    truths = np.repeat(truth[None], 40, axis=0)

    def coarse_maps(jitter: CoarseJitter) -> np.ndarray:
        batches = CropBatches(crops, truths, 40, epoch=2, seed=5, band=0.02, margin=0, jitter=jitter)
        return np.round(batches[0][0][1][..., 0] * 255).astype(np.uint8)

    plain = coarse_maps(CoarseJitter())
    np.testing.assert_array_equal(plain, np.repeat(coarse[None], 40, axis=0))
    jittered = coarse_maps(CoarseJitter(0.5, 15, 0.5))
    # A pure function of (seed, epoch, crop):
    np.testing.assert_array_equal(jittered, coarse_maps(CoarseJitter(0.5, 15, 0.5)))
    changed = (jittered != plain).any(axis=(1, 2))
    assert 10 < changed.sum() < 30  # about half
    filled = jittered[:, 24, 32] > coarse[24, 32]  # the notch's middle
    dropped = jittered[:, 10, 44] < coarse[10, 44]  # the antenna
    assert filled.any() and dropped.any() and not (filled & dropped).any()
    # With no openings the same crops are jittered, each a closing: the mixed run's closings and more.
    closings_only = coarse_maps(CoarseJitter(0.5, 15, 0.0))
    np.testing.assert_array_equal((closings_only != plain).any(axis=(1, 2)), changed)
    filled_only = closings_only[:, 24, 32] > coarse[24, 32]
    assert (filled_only >= filled).all() and filled_only.sum() > filled.sum()
    assert not (closings_only[:, 10, 44] < coarse[10, 44]).any()
