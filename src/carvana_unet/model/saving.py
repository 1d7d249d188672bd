"""Saving a Keras model so that the same weights give the same bytes (and the same DVC md5)."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import keras

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
SHARED_OBJECT_ID = re.compile(rb'"shared_object_id": (\d+)')


def save_model(model: keras.Model, path: Path) -> None:
    """`model.save` without what changes from one save of the same model to the next.

    That is the save date in metadata.json, the zip's timestamps, and the ids in config.json
    that mark objects shared between layers (Python memory addresses), renumbered in order.

    Written beside `path` and renamed into place, so a killed save never leaves half a model.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    raw, staging = path.with_name(f".{path.stem}.raw.keras"), path.with_name(f".{path.name}.tmp")
    model.save(raw)
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(staging, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "metadata.json":
                metadata = json.loads(data)
                metadata.pop("date_saved", None)
                data = json.dumps(metadata, sort_keys=True).encode()
            elif info.filename == "config.json":
                data = _renumber_shared_objects(data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type, entry.external_attr = info.compress_type, info.external_attr
            target.writestr(entry, data)
    raw.unlink()
    os.replace(staging, path)


def _renumber_shared_objects(config: bytes) -> bytes:
    numbers: dict[bytes, int] = {}

    def renumber(match: re.Match) -> bytes:
        return b'"shared_object_id": %d' % numbers.setdefault(match.group(1), len(numbers) + 1)

    return SHARED_OBJECT_ID.sub(renumber, config)


def load_model(path: Path) -> keras.Model:
    """The model for inference: uncompiled, so no custom loss is needed to read it."""
    if not path.exists():
        raise FileNotFoundError(f"no model at {path}: train one first with `kedro run --pipelines training`")
    return keras.saving.load_model(path, compile=False)
