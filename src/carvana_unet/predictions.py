"""Masks, cut-outs and composites for a folder of photos: streamed, written atomically, resumable.

For each photo `<stem>.<ext>`: `masks/<stem>.png` (0/255, the photo's size), `cutouts/<stem>.png`
(RGBA, background transparent; unless masks only) and, with a background, `composites/<stem>.jpg`. `report.json`
lists what was written, skipped (finished earlier) and failed (with the reason).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from carvana_unet.imaging import bounded_map, opencv_in_calling_threads
from carvana_unet.png import encode_png
from carvana_unet.segmenter import Photo, Segmenter, composite, cutout_box


@dataclass(frozen=True)
class Prediction:
    """One photo's outcome: its pixels and mask, or why it could not be read."""

    name: str
    photo: Photo | None = None
    mask: np.ndarray | None = None
    error: str | None = None


@dataclass(frozen=True)
class PredictionStream:
    """The photo names in order and a lazy producer of predictions for those not yet done."""

    names: list[str]
    produce: Callable[[set[str]], Iterator[Prediction]]
    background: str | None = None
    cutouts: bool = True


def predict_stream(
    segmenter: Segmenter,
    photos: dict[str, Callable[[], bytes]],
    batch_size: int,
    workers: int,
    background: str | None = None,
    cutouts: bool = True,
) -> PredictionStream:
    """Reading (and shrinking) runs ahead in threads, the model predicts batch by batch; nothing runs until written."""
    names = sorted(photos)

    def load(name: str) -> Prediction:
        try:
            return Prediction(name, segmenter.read(photos[name](), pixels=cutouts or background is not None))
        except Exception as error:  # noqa: BLE001 - any decoder failure: report it and go on
            return Prediction(name, error=f"unreadable photo ({error})")

    def predicted(loaded: Iterator[Prediction]) -> Iterator[tuple[Prediction, np.ndarray | None]]:
        while batch := list(islice(loaded, batch_size)):
            maps = iter(segmenter.probabilities([p.photo for p in batch if p.error is None]))
            for item in batch:
                yield item, (None if item.error else next(maps))

    def finish(pair: tuple[Prediction, np.ndarray | None]) -> Prediction:
        item, probabilities = pair
        return item if item.error else Prediction(item.name, item.photo, segmenter.mask(item.photo, probabilities))

    def produce(done: set[str]) -> Iterator[Prediction]:
        loaded = bounded_map(load, [n for n in names if n not in done], workers, window=2 * batch_size)
        # Upscaling and the refiner (a Keras model, called from one thread) work on one batch while the
        # U-Net predicts the next, as in the submission.
        yield from bounded_map(finish, predicted(loaded), 1, window=batch_size)

    return PredictionStream(names, produce, background, cutouts)


def output_paths(out_dir: Path, name: str, background: str | None, cutouts: bool = True) -> dict[str, Path]:
    stem = Path(name).stem
    paths = {"mask": out_dir / "masks" / f"{stem}.png"}
    if cutouts:
        paths["cutout"] = out_dir / "cutouts" / f"{stem}.png"
    if background:
        paths["composite"] = out_dir / "composites" / f"{stem}.jpg"
    return paths


JPEG_OPTIONS = [cv2.IMWRITE_JPEG_QUALITY, 95]


def encode(pixels: np.ndarray, suffix: str) -> bytes:
    """PNG bytes of grey, RGB or RGBA pixels, or JPEG bytes of grey or RGB pixels."""
    if suffix == ".png":
        return encode_png(pixels)  # 5x libpng's speed, which bounded predict's
    bgr = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR) if pixels.ndim == 3 else pixels
    ok, data = cv2.imencode(suffix, bgr, JPEG_OPTIONS)
    if not ok:
        raise OSError(f"OpenCV could not encode a {pixels.shape} image as {suffix}")
    return data.tobytes()


def _write_atomically(path: Path, data: bytes) -> None:
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_bytes(data)
    os.replace(staging, path)


def write_predictions(out_dir: Path, stream: PredictionStream, workers: int = 2) -> dict:
    """Write every photo's outputs, skipping photos whose outputs all exist; returns the report."""

    def paths_of(name: str) -> dict[str, Path]:
        return output_paths(out_dir, name, stream.background, stream.cutouts)

    done = {n for n in stream.names if all(p.exists() for p in paths_of(n).values())}
    for folder in {p.parent for p in paths_of("x").values()}:
        folder.mkdir(parents=True, exist_ok=True)

    def write(item: Prediction) -> Prediction:
        if item.error is None:
            paths = paths_of(item.name)
            _write_atomically(paths["mask"], encode(item.mask * np.uint8(255), ".png"))
            if stream.cutouts:
                car, corner = cutout_box(item.photo.pixels, item.mask)
                _write_atomically(paths["cutout"], encode_png(car, item.mask.shape, corner))
            if stream.background:
                backdropped = composite(item.photo.pixels, item.mask, stream.background)
                _write_atomically(paths["composite"], encode(backdropped, ".jpg"))
        return Prediction(item.name, error=item.error)  # let the pixels go

    todo = len(stream.names) - len(done)
    with opencv_in_calling_threads():
        written = bounded_map(write, stream.produce(done), workers)
        results = list(tqdm(written, total=todo, desc=f"predicting into {out_dir}", unit="photo"))
    report = {
        "photos": len(stream.names),
        "written": [r.name for r in results if r.error is None],
        "skipped": sorted(done),
        "failed": [{"file": r.name, "reason": r.error} for r in results if r.error],
    }
    staging = out_dir / ".report.json.tmp"
    staging.write_text(json.dumps(report, indent=2))
    os.replace(staging, out_dir / "report.json")
    return report
