"""Ingestion nodes on tiny generated data, with real datasets reading the files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io.core import DatasetError
from kedro_project import raw_folder
from PIL import Image

from carvana_unet import synthetic
from carvana_unet.cache import ResizedSamples, read_cache, write_cache
from carvana_unet.datasets import RawCSVDataset
from carvana_unet.layout import CarvanaDataError
from carvana_unet.pipelines.ingestion.nodes import index_images, resize_for_model, split_by_car, validate_images
from carvana_unet.pipelines.ingestion.params import IngestionParams

OPTIONS = IngestionParams(validation_fraction=0.34, split_seed=1, input_height=32, input_width=48, workers=2)


def load_raw(raw: Path, mask_suffix: str = ".gif"):
    images = raw_folder("raw_train_images", raw / "train", ".jpg").load()
    masks = raw_folder("raw_train_masks", raw / "train_masks", mask_suffix).load()
    metadata = RawCSVDataset(filepath=str(raw / "metadata.csv"), load_args={"dtype": {"id": str}}).load()
    return images, masks, metadata


def ingest(raw: Path, **options):
    opts = OPTIONS.model_copy(update=options)
    images, masks, metadata = load_raw(raw)
    index, problems = index_images(images, masks, metadata, opts)
    return validate_images(index, problems, images, masks, opts)


def first_id(raw: Path) -> str:
    return sorted(p.stem for p in (raw / "train").glob("*.jpg"))[0]


def test_index_joins_metadata_and_reads_sizes(tiny_raw):
    valid, report = ingest(tiny_raw)
    assert len(valid) == 48 and report == {"images": 48, "usable": 48, "skipped": []}
    assert {"image_id", "car_id", "angle", "make", "year", "height", "width"} <= set(valid.columns)
    assert set(valid["height"]) == {64} and set(valid["width"]) == {96}
    assert valid.groupby("car_id")["angle"].apply(sorted).map(lambda a: a == list(range(1, 17))).all()


def test_split_keeps_every_car_on_one_side(tiny_raw):
    valid, _ = ingest(tiny_raw)
    split = split_by_car(valid, OPTIONS)
    sides = split.groupby("car_id")["split"].nunique()
    assert (sides == 1).all()
    assert set(split["split"]) == {"train", "validation"}
    assert split_by_car(valid, OPTIONS)["split"].tolist() == split["split"].tolist()  # seeded


def test_cache_shapes_dtypes_and_values(tiny_raw, tmp_path):
    images, masks, _ = load_raw(tiny_raw)
    split = split_by_car(ingest(tiny_raw)[0], OPTIONS)
    samples = resize_for_model(split, images, masks, OPTIONS)
    write_cache(tmp_path / "cache", samples)
    cache = read_cache(tmp_path / "cache")
    assert cache.images.shape == (48, 32, 48, 3) and cache.images.dtype == np.uint8
    for row, (image, mask) in enumerate(samples.stream()):  # each row holds exactly its sample's pixels
        np.testing.assert_array_equal(cache.images[row], image)
        np.testing.assert_array_equal(cache.masks[row], mask)
    assert cache.masks.shape == (48, 32, 48) and cache.masks.dtype == np.uint8
    assert set(np.unique(cache.masks)) == {0, 1}
    assert list(cache.index["image_id"]) == list(split["image_id"])


def test_soft_targets_cache_each_pixels_coverage(tiny_raw, tmp_path):
    images, masks, _ = load_raw(tiny_raw)
    split = split_by_car(ingest(tiny_raw)[0], OPTIONS)
    soft = read_cache_of(
        resize_for_model(split, images, masks, OPTIONS.model_copy(update={"soft_targets": True})), tmp_path / "soft"
    )
    hard = read_cache_of(resize_for_model(split, images, masks, OPTIONS), tmp_path / "hard")
    assert (soft.mask_scale, hard.mask_scale) == (255, 1)
    edge = (soft.masks > 0) & (soft.masks < 255)
    assert edge.mean() > 0.01  # the boundary keeps fractions
    np.testing.assert_array_equal(hard.masks, soft.masks >= 128)  # thresholded, the same masks as before


def read_cache_of(samples: ResizedSamples, path: Path):
    write_cache(path, samples)
    return read_cache(path)


def test_pad_aspect_keeps_the_shape_undistorted(tiny_raw, tmp_path):
    images, masks, _ = load_raw(tiny_raw)
    split = split_by_car(ingest(tiny_raw)[0], OPTIONS)
    samples = resize_for_model(
        split, images, masks, OPTIONS.model_copy(update={"input_height": 64, "input_width": 64, "aspect": "pad"})
    )
    image, _ = next(samples.stream())
    assert image.shape == (64, 64, 3)
    assert image[:10].max() == 0 and image[-10:].max() == 0  # 96x64 fitted into 64x64 leaves bars top and bottom


def test_failed_cache_write_leaves_nothing(tmp_path):
    def broken_stream():
        yield np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8)
        raise OSError("disk full")

    index = pd.DataFrame({"image_id": ["a", "b"], "split": ["train", "train"]})
    with pytest.raises(OSError):
        write_cache(tmp_path / "cache", ResizedSamples(index, 4, 4, broken_stream))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "damage, file_pattern, message",
    [
        ("truncated_jpeg", "{id}.jpg", "unreadable or truncated image"),
        ("small_mask", "{id}_mask.gif", "mask is 50x40 but its image is 96x64"),
        ("non_binary_mask", "{id}_mask.gif", "not binary"),
        ("missing_mask", "{id}.jpg", "image without a mask"),
        ("missing_image", "{id}_mask.gif", "mask without an image"),
        ("missing_metadata", "{id}.jpg", "missing from metadata.csv"),
    ],
)
def test_bad_input_is_named_and_can_be_skipped(tiny_raw, damage, file_pattern, message):
    image_id = first_id(tiny_raw)
    jpg, gif = tiny_raw / "train" / f"{image_id}.jpg", tiny_raw / "train_masks" / f"{image_id}_mask.gif"
    if damage == "truncated_jpeg":
        jpg.write_bytes(jpg.read_bytes()[: jpg.stat().st_size // 2])
    elif damage == "small_mask":
        synthetic.mask_to_gif(np.ones((40, 50), np.uint8)).save(gif)
    elif damage == "non_binary_mask":
        # An anti-aliased greyscale mask: many grey levels, not the 0/1 palette indices Kaggle ships.
        Image.fromarray(np.tile(np.arange(96, dtype=np.uint8) * 2, (64, 1)), mode="L").save(gif)
    elif damage == "missing_mask":
        gif.unlink()
    elif damage == "missing_image":
        jpg.unlink()
    else:
        metadata = pd.read_csv(tiny_raw / "metadata.csv", dtype={"id": str})
        metadata[metadata["id"] != image_id.split("_")[0]].to_csv(tiny_raw / "metadata.csv", index=False)
    name = file_pattern.format(id=image_id)
    with pytest.raises(CarvanaDataError, match=message) as error:
        ingest(tiny_raw)
    assert name in str(error.value) and "on_bad_input: skip" in str(error.value)

    valid, report = ingest(tiny_raw, on_bad_input="skip")
    assert any(p["file"] == name and message.split(" (")[0] in p["problem"] for p in report["skipped"])
    assert image_id not in set(valid["image_id"])


def test_empty_or_foreign_raw_folder_says_how_to_fix_it(tmp_path):
    (tmp_path / "train").mkdir()
    with pytest.raises(DatasetError, match=r"no '\*.jpg' files in .*train.*raw_dir"):
        raw_folder("raw_train_images", tmp_path / "train", ".jpg").load()
    with pytest.raises(DatasetError, match="metadata.csv is missing.*raw_dir"):
        RawCSVDataset(filepath=str(tmp_path / "metadata.csv")).load()

    Image.new("RGB", (8, 8)).save(tmp_path / "train" / "holiday.jpg")
    (tmp_path / "train_masks").mkdir()
    synthetic.mask_to_gif(np.zeros((8, 8), np.uint8)).save(tmp_path / "train_masks" / "holiday_mask.gif")
    pd.DataFrame({"id": ["abc"]}).to_csv(tmp_path / "metadata.csv", index=False)
    with pytest.raises(CarvanaDataError, match="'holiday' is not a Carvana image name"):
        ingest(tmp_path)


def masks_as_png(raw: Path, scale: int) -> None:
    """Kaggle's GIF masks re-saved as greyscale PNGs holding 0/`scale`, as users' own masks often are."""
    for gif in (raw / "train_masks").glob("*.gif"):
        mask = np.asarray(Image.open(gif))
        Image.fromarray((mask * scale).astype(np.uint8), mode="L").save(gif.with_suffix(".png"))
        gif.unlink()


@pytest.mark.parametrize("scale", [1, 255])
def test_png_masks_of_0_1_or_0_255_give_the_cache_gifs_give(tiny_raw, tmp_path, scale):
    from_gifs = resize_for_model(split_by_car(ingest(tiny_raw)[0], OPTIONS), *load_raw(tiny_raw)[:2], OPTIONS)
    expected = [mask for _, mask in from_gifs.stream()]
    masks_as_png(tiny_raw, scale)
    images, masks, metadata = load_raw(tiny_raw, mask_suffix=".png")
    index, problems = index_images(images, masks, metadata, OPTIONS)
    valid, report = validate_images(index, problems, images, masks, OPTIONS)
    assert report["skipped"] == []
    from_pngs = resize_for_model(split_by_car(valid, OPTIONS), images, masks, OPTIONS)
    for mask, want in zip([m for _, m in from_pngs.stream()], expected, strict=True):
        np.testing.assert_array_equal(mask, want)


def test_a_colour_mask_is_named_with_the_fix(tiny_raw):
    masks_as_png(tiny_raw, 255)
    victim = sorted((tiny_raw / "train_masks").glob("*.png"))[0]
    Image.open(victim).convert("RGB").save(victim)
    images, masks, metadata = load_raw(tiny_raw, mask_suffix=".png")
    index, problems = index_images(images, masks, metadata, OPTIONS)
    with pytest.raises(CarvanaDataError, match=rf"{victim.name}: a RGB mask: save masks as greyscale PNG"):
        validate_images(index, problems, images, masks, OPTIONS)
