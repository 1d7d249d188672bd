"""Synthetic Carvana data in Kaggle's layout, rendered in 3D so that a fresh clone runs end to end.

Each car (see `studio.cars`) stands on a turntable in a photo studio (see `studio.scene`) and is
photographed from 16 angles 22.5 degrees apart, 01 facing its nose; the photo is path-traced with
Mitsuba 3 and the mask is ray-cast from the same scene (see `studio.render`). The floor shadow is
in the photo, not in the mask, as in the real data. Everything is seeded: the same arguments give
the same files.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pandas as pd
from PIL import Image
from scipy.stats import norm

from carvana_unet import rle
from carvana_unet.layout import image_id_to_mask_key
from carvana_unet.studio import cars, render, scene

ANGLES = 16
MAKES = ("Acura", "BMW", "Chevrolet", "Ford", "Honda", "Kia", "Mazda", "Nissan", "Toyota", "Volvo")
# The car's share of the frame, averaged over its views: Kaggle's train set spans 13-36 %, median 20 %.
COVERAGE_MEDIAN, COVERAGE_SPREAD, COVERAGE_RANGE = 0.20, 0.22, (0.13, 0.36)


@dataclass(frozen=True)
class SyntheticCar:
    design: cars.CarDesign
    studio: scene.Studio
    coverage: float  # the share of the frame the camera distance is set for
    jpeg_quality: int
    seed: int

    @property
    def car_id(self) -> str:
        return self.design.car_id


def degrees(angle: int) -> float:
    """Turntable angle of view `angle` (1-16): view 01 faces the car's nose, then 22.5 degrees a step."""
    return -90.0 + (angle - 1) * 360.0 / ANGLES


def coverage_targets(count: int, rng: np.random.Generator) -> np.ndarray:
    """Shares of the frame for `count` cars: evenly spaced quantiles of a log-normal around Kaggle's
    median, shuffled, so that even a handful of cars spans the real range with the real median."""
    quantiles = norm.ppf((np.arange(count) + 0.5) / count)
    return rng.permutation(np.clip(COVERAGE_MEDIAN * np.exp(COVERAGE_SPREAD * quantiles), *COVERAGE_RANGE))


def random_car(rng: np.random.Generator, paint: str, coverage: float, seed: int) -> SyntheticCar:
    studio = scene.random_studio(rng)
    return SyntheticCar(cars.random_design(rng, paint), studio, float(coverage), int(rng.integers(80, 96)), seed)


@dataclass
class CarRenderer:
    """Renders one car's views. The camera is placed once per car; each view gets a fresh scene, posed
    from the car's rest position: a scene re-posed view after view keeps an acceleration structure
    that depends on the views before it, and where two surfaces touch (a rim on its tyre) that
    changes which one a ray sees. Dr.Jit still compiles the car's kernels once and reuses them."""

    car: SyntheticCar
    width: int
    height: int
    spp: int
    shade_factor: int
    _setup: tuple[list, scene.Studio, dict[str, object]] | None = field(default=None, repr=False)

    def scene(self) -> scene.CarScene:
        mi = scene.mitsuba()
        if self._setup is None:
            parts = cars.car_parts(self.car.design, np.random.default_rng(self.car.seed))
            materials: dict[str, object] = {}
            self._setup = parts, placed_camera(mi, self.car, parts, materials), materials
        parts, studio, materials = self._setup
        low_h, low_w = render.shading_size(self.width, self.height, self.shade_factor)
        return scene.CarScene(mi, self.car.design, parts, studio, low_w, low_h, self.spp, materials)

    def view(self, angle: int) -> tuple[np.ndarray, np.ndarray]:
        """The JPEG-ready photo (uint8 RGB) and the 0/1 mask of view `angle`."""
        rendered = render.render_view(
            scene.mitsuba(), self.scene(), degrees(angle), self.width, self.height, seed=self.car.seed * ANGLES + angle
        )
        return develop(rendered.photo, np.random.default_rng([self.car.seed, angle])), rendered.mask


def placed_camera(mi: ModuleType, car: SyntheticCar, parts: list, materials: dict[str, object]) -> scene.Studio:
    """The studio with the camera moved so that the car covers `car.coverage` of the frame on average."""
    studio = car.studio
    probe = scene.CarScene(mi, car.design, parts, studio, 8, 8, 1, materials)
    car_ids = np.fromiter(probe.car_shape_ids(), np.uint32)
    width, height = 192, 128
    for _ in range(2):
        probe.studio = studio
        sensor = mi.load_dict(probe.sensor_dict(width, height))
        shares = []
        for angle in (1, 3, 5, 7, 9, 11, 13, 15):
            probe.turn(degrees(angle))
            ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
            ids = render.cast(mi, probe.photo, sensor, xs.ravel() + 0.5, ys.ravel() + 0.5, width, height)
            shares.append(float(np.isin(ids, car_ids).mean()))
        studio = replace(
            studio, camera_distance=studio.camera_distance * float(np.sqrt(np.mean(shares) / car.coverage))
        )
    return studio


def develop(linear: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A camera's output: a slight lens blur, sensor noise, and the sRGB curve."""
    image = cv2.GaussianBlur(linear, (0, 0), 0.6)
    noise = np.empty_like(image)
    cv2.setRNGSeed(int(rng.integers(2**31)))
    cv2.randn(noise, 0.0, 0.004)
    levels = np.clip((image + noise) * (_SRGB.size - 1) + 0.5, 0, _SRGB.size - 1).astype(np.uint16)
    return _SRGB[levels]


def _srgb_table(levels: int = 4096) -> np.ndarray:
    linear = np.linspace(0, 1, levels)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(srgb * 255).astype(np.uint8)


_SRGB = _srgb_table()


def mask_to_gif(mask: np.ndarray) -> Image.Image:
    """A palette image whose indices are the mask's 0/1 values, as Kaggle's GIFs are."""
    image = Image.fromarray(mask.astype(np.uint8), mode="P")
    image.putpalette([0, 0, 0, 255, 255, 255] + [0, 0, 0] * 254)
    return image


@dataclass(frozen=True)
class SyntheticCarvana:
    """A seeded synthetic dataset: which cars exist and how to render any of their photos."""

    train_cars: list[SyntheticCar]
    test_cars: list[SyntheticCar]
    width: int
    height: int
    seed: int
    spp: int = 8
    shade_factor: int = 4
    _renderers: dict = field(default_factory=dict, compare=False, repr=False)

    def image_ids(self, cars_: list[SyntheticCar]) -> list[str]:
        return [f"{car.car_id}_{angle:02d}" for car in cars_ for angle in range(1, ANGLES + 1)]

    def splits(self) -> list[tuple[list[SyntheticCar], str]]:
        """The cars of each Kaggle folder: train cars under `train`, test cars under `test`."""
        return [(self.train_cars, "train"), (self.test_cars, "test")]

    def car(self, car_id: str) -> SyntheticCar:
        return next(c for c in self.train_cars + self.test_cars if c.car_id == car_id)

    def renderer(self, car: SyntheticCar) -> CarRenderer:
        if car.car_id not in self._renderers:
            self._renderers.clear()  # one car's scene at a time: views are asked for car by car
            self._renderers[car.car_id] = CarRenderer(car, self.width, self.height, self.spp, self.shade_factor)
        return self._renderers[car.car_id]

    def render(self, image_id: str) -> tuple[np.ndarray, np.ndarray]:
        car_id, angle = image_id.rsplit("_", 1)
        return self.renderer(self.car(car_id)).view(int(angle))

    def photo(self, image_id: str) -> np.ndarray:
        return self.render(image_id)[0]

    def mask(self, image_id: str) -> np.ndarray:
        return self.render(image_id)[1]

    def metadata(self) -> pd.DataFrame:
        rng = np.random.default_rng(self.seed + 1)
        rows = [
            {
                "id": car.car_id,
                "year": float(rng.integers(2000, 2017)),
                "make": str(rng.choice(MAKES)),
                "model": f"{car.design.body.title()} {rng.integers(1, 9)}",
                "trim1": str(rng.choice(["Base", "LX", "Sport", None])),
                "trim2": None,
            }
            for car in self.train_cars + self.test_cars
        ]
        return pd.DataFrame(rows)

    def sample_submission(self) -> pd.DataFrame:
        ids = self.image_ids(self.test_cars)
        return pd.DataFrame({"img": [f"{i}.jpg" for i in ids], "rle_mask": ["1 1"] * len(ids)})


def make_dataset(
    n_train_cars: int,
    n_test_cars: int,
    width: int = 1918,
    height: int = 1280,
    seed: int = 0,
    spp: int = 8,
    shade_factor: int = 4,
) -> SyntheticCarvana:
    """Describe a seeded dataset; nothing is rendered until an image is asked for."""
    if min(n_train_cars, n_test_cars) < 1 or min(width, height) < 32:
        raise ValueError("need at least one train and one test car, and images of at least 32x32 pixels")
    rng = np.random.default_rng(seed)
    count = n_train_cars + n_test_cars
    paints = rng.permutation([cars.PAINTS[i % len(cars.PAINTS)] for i in range(count)])
    coverage = coverage_targets(count, rng)
    made = [random_car(rng, str(paint), coverage[i], seed * 100_003 + i) for i, paint in enumerate(paints)]
    return SyntheticCarvana(made[:n_train_cars], made[n_train_cars:], width, height, seed, spp, shade_factor)


@dataclass(frozen=True)
class RenderPlan:
    """What the generate pipeline hands to the catalog: the dataset, and how many processes render it."""

    data: SyntheticCarvana
    workers: int | None = None  # None: one per CPU core


def fingerprint(data: SyntheticCarvana) -> str:
    """What a photo on disk was rendered from: the cars, studios and settings, the renderer's source
    and Mitsuba's version. Photos with another fingerprint cannot be resumed from."""
    from importlib.metadata import version  # noqa: PLC0415 - only the rendering dataset needs it

    digest = hashlib.sha256(repr(data).encode())
    for module in sorted(Path(__file__).parent.joinpath("studio").glob("*.py")) + [Path(__file__)]:
        digest.update(module.read_bytes())
    digest.update(version("mitsuba").encode())
    return digest.hexdigest()


def missing_views(data: SyntheticCarvana, raw_dir: Path) -> list[tuple[str, str, list[int]]]:
    """`(car_id, folder, angles)` for every car with a photo or mask not yet on disk."""
    jobs = []
    for cars_, folder in data.splits():
        for car in cars_:
            angles = [
                angle
                for angle in range(1, ANGLES + 1)
                if not all(p.exists() for p in image_files(raw_dir, f"{car.car_id}_{angle:02d}", folder))
            ]
            if angles:
                jobs.append((car.car_id, folder, angles))
    return jobs


def image_files(raw_dir: Path, image_id: str, folder: str) -> list[Path]:
    """The files one image has in Kaggle's layout: the photo, and for a train photo its GIF mask."""
    files = [raw_dir / folder / f"{image_id}.jpg"]
    if folder == "train":
        files.append(raw_dir / "train_masks" / f"{image_id_to_mask_key(image_id)}.gif")
    return files


def write_image(data: SyntheticCarvana, image_id: str, raw_dir: Path, folder: str) -> None:
    """One photo as `raw_dir/folder/<id>.jpg`; a train photo also gets its GIF mask in train_masks.

    Each file is written under a temporary name and renamed, so an interrupted run leaves no
    half-written file behind for a resumed one to trust."""
    photo, mask = data.render(image_id)
    quality = data.car(image_id.rsplit("_", 1)[0]).jpeg_quality
    photo_file, *mask_file = image_files(raw_dir, image_id, folder)
    _atomic(photo_file, lambda path: Image.fromarray(photo).save(path, format="JPEG", quality=quality))
    if mask_file:
        _atomic(mask_file[0], lambda path: mask_to_gif(mask).save(path, format="GIF"))


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    partial = path.with_name(f".{path.name}.partial")
    write(partial)
    partial.replace(path)


def render_jobs(
    data: SyntheticCarvana, raw_dir: Path, jobs: list[tuple[str, str, list[int]]], workers: int | None = None
) -> Iterator[int]:
    """Run `(car_id, folder, angles)` jobs in worker processes, yielding 1 for each photo written.

    Rendering always runs in fresh `python -m carvana_unet.synthetic --worker` processes that import
    Mitsuba and no TensorFlow: loaded after TensorFlow in one process, Dr.Jit's LLVM crashes."""
    if not jobs:
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    threads = max(1, (os.cpu_count() or 1) // workers)
    shares: list[list] = [[] for _ in range(workers)]
    for job in sorted(jobs, key=lambda j: -len(j[2])):  # longest first, each to the least loaded worker
        min(shares, key=lambda share: sum(len(j[2]) for j in share)).append(job)
    done: queue.Queue = queue.Queue()
    processes = [_start_worker(data, raw_dir, share, threads, done) for share in shares if share]
    finished = 0
    while finished < len(processes):
        line = done.get()
        if line is None:
            finished += 1
        else:
            yield 1
    failed = [p for p in processes if p.wait() != 0]
    if failed:
        raise RuntimeError(f"rendering into {raw_dir} failed:\n{failed[0].stderr.read()[-3000:]}")


def _start_worker(
    data: SyntheticCarvana, raw_dir: Path, jobs: list, threads: int, done: queue.Queue
) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "carvana_unet.synthetic", "--worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=False,
    )
    process.stdin.write(pickle.dumps((data, raw_dir, jobs, threads)))
    process.stdin.close()

    def forward() -> None:
        for line in process.stdout:
            done.put(line)
        done.put(None)

    threading.Thread(target=forward, daemon=True).start()
    process.stderr = _Tail(process.stderr)
    return process


class _Tail:
    """Drains a worker's stderr (Mitsuba logs, progress) so that its pipe never fills up."""

    def __init__(self, stream: object):
        self._chunks: list[bytes] = []
        self._thread = threading.Thread(target=lambda: self._chunks.extend(stream), daemon=True)
        self._thread.start()

    def read(self) -> str:
        self._thread.join(timeout=5)
        return b"".join(self._chunks).decode(errors="replace")


def _worker() -> None:
    data, raw_dir, jobs, threads = pickle.load(sys.stdin.buffer)
    scene.mitsuba(threads)
    for car_id, folder, angles in jobs:
        for angle in angles:
            write_image(data, f"{car_id}_{angle:02d}", raw_dir, folder)
            print(f"{car_id}_{angle:02d}", flush=True)


def write_images(
    data: SyntheticCarvana, image_ids: list[str], raw_dir: Path, folder: str, workers: int | None = None
) -> None:
    """Render some images into `raw_dir/folder` (and their masks, for train), a car per process."""
    for sub in (folder, "train_masks") if folder == "train" else (folder,):
        (raw_dir / sub).mkdir(parents=True, exist_ok=True)
    by_car: dict[str, list[int]] = {}
    for image_id in image_ids:
        car_id, angle = image_id.rsplit("_", 1)
        by_car.setdefault(car_id, []).append(int(angle))
    for _ in render_jobs(data, raw_dir, [(car, folder, angles) for car, angles in by_car.items()], workers):
        pass


def rendered_arrays(data: SyntheticCarvana, train_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Photos (N, H, W, 3) uint8, as their JPEGs decode, and 0/1 masks (N, H, W) of some train images."""
    with tempfile.TemporaryDirectory() as folder:
        write_images(data, train_ids, Path(folder), "train")
        files = [image_files(Path(folder), i, "train") for i in train_ids]
        photos = np.stack([np.asarray(Image.open(photo).convert("RGB")) for photo, _ in files])
        masks = np.stack([np.asarray(Image.open(mask)) for _, mask in files])
    return photos, masks


def write_dataset(data: SyntheticCarvana, raw_dir: Path, workers: int | None = None) -> Iterator[int]:
    """Write the Kaggle layout into `raw_dir` (what is missing of it), yielding photos done per car."""
    for folder in ("train", "train_masks", "test"):
        (raw_dir / folder).mkdir(parents=True, exist_ok=True)
    yield from render_jobs(data, raw_dir, missing_views(data, raw_dir), workers)
    data.metadata().to_csv(raw_dir / "metadata.csv", index=False)
    train_masks_csv(raw_dir, data.image_ids(data.train_cars)).to_csv(raw_dir / "train_masks.csv", index=False)
    data.sample_submission().to_csv(raw_dir / "sample_submission.csv", index=False)


def train_masks_csv(raw_dir: Path, image_ids: list[str]) -> pd.DataFrame:
    """`img,rle_mask` for the written train masks, read back from their GIFs."""
    codes = [rle.encode(np.asarray(Image.open(image_files(raw_dir, i, "train")[1]))) for i in image_ids]
    return pd.DataFrame({"img": [f"{i}.jpg" for i in image_ids], "rle_mask": codes})


def main(argv: list[str] | None = None) -> None:
    if argv is None and sys.argv[1:] == ["--worker"]:
        return _worker()
    parser = argparse.ArgumentParser(description="Render synthetic Carvana data in Kaggle's layout.")
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("--train-cars", type=int, default=8)
    parser.add_argument("--test-cars", type=int, default=2)
    parser.add_argument("--width", type=int, default=1918)
    parser.add_argument("--height", type=int, default=1280)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = make_dataset(args.train_cars, args.test_cars, args.width, args.height, args.seed)
    count = sum(write_dataset(data, args.raw_dir))
    print(f"rendered {count} images into {args.raw_dir}")


if __name__ == "__main__":
    main()
