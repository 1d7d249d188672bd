"""The rendered synthetic photos and masks in Kaggle's layout, written in parallel and resumably."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from kedro.io import AbstractDataset
from PIL import Image
from tqdm.auto import tqdm

from carvana_unet import synthetic

logger = logging.getLogger(__name__)
FOLDERS = ("train", "train_masks", "test")
FINGERPRINT = "render_fingerprint.txt"  # what the photos on disk were rendered from


class RenderedCarvanaDataset(AbstractDataset):
    """`train/`, `train_masks/` and `test/` under `path`.

    Saving a `synthetic.RenderPlan` renders what is missing (a car's views in one worker process,
    which builds the car's scene once) with a progress bar, and deletes files that the plan does
    not hold, so a rerun after an interruption renders only the missing photos. Photos rendered from
    another plan or by another version of the renderer (`synthetic.fingerprint`) are all rendered
    again, so a resumed folder never mixes two renderers. Loading gives the
    train masks: `{image_id: function returning the 0/1 mask}`."""

    def __init__(self, path: str, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}

    def _load(self) -> dict:
        masks = sorted((self._path / "train_masks").glob("*_mask.gif"))
        return {p.stem.removesuffix("_mask"): (lambda p=p: np.asarray(Image.open(p))) for p in masks}

    def _save(self, plan: synthetic.RenderPlan) -> None:
        for folder in FOLDERS:
            (self._path / folder).mkdir(parents=True, exist_ok=True)
        stamp = self._path / FINGERPRINT
        fingerprint = synthetic.fingerprint(plan.data)
        if not stamp.exists() or stamp.read_text() != fingerprint:
            _remove_files_except(self._path, keep=set())
            stamp.write_text(fingerprint)
        planned = _planned_files(self._path, plan.data)
        _remove_files_except(self._path, keep=planned)
        planned = {p for p in planned if p.suffix == ".jpg"}
        jobs = synthetic.missing_views(plan.data, self._path)
        total = sum(len(angles) for _, _, angles in jobs)
        logger.info("%d of %d photos to render (%d already on disk)", total, len(planned), len(planned) - total)
        if not total:
            return
        start = time.perf_counter()
        with tqdm(total=total, unit="photo", desc="rendering") as bar:
            for done in synthetic.render_jobs(plan.data, self._path, jobs, plan.workers):
                bar.update(done)
        seconds = time.perf_counter() - start
        logger.info("rendered %d photos in %.0f s: %.2f s a photo", total, seconds, seconds / total)

    def _exists(self) -> bool:
        return (self._path / "train_masks").is_dir()


def _planned_files(raw_dir: Path, data: synthetic.SyntheticCarvana) -> set[Path]:
    return {
        path
        for cars, folder in data.splits()
        for image_id in data.image_ids(cars)
        for path in synthetic.image_files(raw_dir, image_id, folder)
    }


def _remove_files_except(raw_dir: Path, keep: set[Path]) -> None:
    """Delete the photos and masks not in `keep` (another seed's cars, another renderer's photos)."""
    for folder in FOLDERS:
        for path in (raw_dir / folder).iterdir():
            if path not in keep:
                path.unlink()
