import zipfile

import pytest

from carvana_unet.layout import CarvanaDataError, parse_image_id, unpack


def _zip_folder(source, archive, arcname):
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(source.rglob("*")):
            zipped.write(path, f"{arcname}/{path.relative_to(source)}")


def test_unpack_kaggle_zips_gives_the_kaggle_layout(tiny_raw_template, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    _zip_folder(tiny_raw_template / "train", downloads / "train.zip", "train")
    _zip_folder(tiny_raw_template / "train_masks", downloads / "train_masks.zip", "train_masks")
    with zipfile.ZipFile(downloads / "metadata.csv.zip", "w") as zipped:
        zipped.write(tiny_raw_template / "metadata.csv", "metadata.csv")
    raw = tmp_path / "raw"
    assert unpack(downloads, raw) == ["train.zip", "train_masks.zip", "metadata.csv.zip"]
    assert len(list((raw / "train").glob("*.jpg"))) == 48
    assert len(list((raw / "train_masks").glob("*_mask.gif"))) == 48
    assert (raw / "metadata.csv").read_bytes() == (tiny_raw_template / "metadata.csv").read_bytes()
    assert not list(raw.glob(".unpacking-*"))
    with pytest.raises(CarvanaDataError, match="already exists"):
        unpack(downloads, raw)  # never overwrites what is there


def test_unpack_without_zips_and_bad_names(tmp_path):
    with pytest.raises(CarvanaDataError, match="no Kaggle Carvana zips"):
        unpack(tmp_path, tmp_path / "raw")
    assert parse_image_id("00087a6bd4dc_16") == ("00087a6bd4dc", 16)
    with pytest.raises(CarvanaDataError, match="expected <car id>_<angle>"):
        parse_image_id("00087a6bd4dc-16")
