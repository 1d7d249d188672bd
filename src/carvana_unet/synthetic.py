"""Synthetic Carvana-like data in Kaggle's layout, so a fresh clone runs end to end.

Each car is a body, a cabin and four wheels, with some of the thin parts real cars
have (antenna, mirrors, roof rack, spoiler: see synthetic_parts), seen from 16 angles
on a studio backdrop; the soft floor shadow is drawn into the photo but is NOT part of
the mask, as in the real data. Everything is seeded: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image

from carvana_unet import rle
from carvana_unet.layout import image_id_to_mask_key
from carvana_unet.synthetic_parts import KAGGLE_WIDTH, Frame, Parts, Shape, part_shapes, random_parts

ANGLES = 16
# Paints are dealt round-robin (then shuffled) so that even a handful of cars has white,
# black and grey ones: white on the white backdrop is the hard case, and a split that
# leaves it only in validation measures nothing but that gap.
PAINTS = ("colour", "white", "black", "colour", "grey")
MAKES = ("Acura", "BMW", "Chevrolet", "Ford", "Honda", "Kia", "Mazda", "Nissan", "Toyota", "Volvo")


@dataclass(frozen=True)
class CarSpec:
    """The shape and paint of one synthetic car, as fractions of the image size."""

    car_id: str
    length: float  # side-view length, fraction of image width
    width: float  # front-view width, fraction of image width
    body_height: float  # fraction of image height
    cabin_height: float
    cabin_length: float  # fraction of the car's length
    cabin_offset: float  # cabin centre behind the car centre, fraction of length
    wheel_radius: float  # fraction of image height
    colour: tuple[int, int, int]  # RGB
    parts: Parts = field(default_factory=Parts)


def random_car(rng: np.random.Generator, paint: str, parts: Parts | None = None) -> CarSpec:
    """Draw a car with one of PAINTS: sizes vary, and so does the shade within the paint."""
    if paint == "white":
        colour = tuple(int(v) for v in rng.integers(228, 252, 3))
    elif paint == "black":
        colour = tuple(int(v) for v in rng.integers(8, 30, 3))
    elif paint == "grey":
        colour = (int(rng.integers(90, 180)),) * 3
    else:
        hsv = np.uint8([[[rng.integers(0, 180), rng.integers(120, 255), rng.integers(90, 230)]]])
        colour = tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])
    return CarSpec(
        car_id="".join(rng.choice(list("0123456789abcdef"), 12)),
        length=float(rng.uniform(0.6, 0.88)),
        width=float(rng.uniform(0.34, 0.44)),
        body_height=float(rng.uniform(0.15, 0.24)),
        cabin_height=float(rng.uniform(0.1, 0.17)),
        cabin_length=float(rng.uniform(0.4, 0.65)),
        cabin_offset=float(rng.uniform(-0.05, 0.12)),
        wheel_radius=float(rng.uniform(0.055, 0.08)),
        colour=colour,
        parts=parts or Parts(),
    )


@dataclass(frozen=True)
class View:
    """Pixel geometry of one car seen from one angle."""

    wheels: list[tuple[tuple[int, int], tuple[int, int]]]  # (centre, half-axes) ellipses
    body: np.ndarray  # polygon, int32 (N, 2)
    cabin: np.ndarray
    ground_y: int
    centre_x: int
    half_width: int
    parts: list[Shape] = field(default_factory=list)


def car_view(car: CarSpec, angle: int, width: int, height: int) -> View:
    """Project the car for angle 1..16 (1 faces the camera, 5 shows its side)."""
    theta = 2 * math.pi * (angle - 1) / ANGLES
    sin, cos = abs(math.sin(theta)), abs(math.cos(theta))
    sign = 1 if math.sin(theta) >= 0 else -1
    length, car_width = car.length * width, car.width * width
    half = 0.5 * (length * sin + car_width * cos)
    centre_x, ground_y = width // 2, int(height * 0.78)
    radius = car.wheel_radius * height
    body_bottom = ground_y - radius * 0.9
    body_top = body_bottom - car.body_height * height
    cabin_top = body_top - car.cabin_height * height
    # The cabin is narrower than the body and set back along the car's axis.
    cabin_half = 0.5 * (car.cabin_length * length * sin + 0.8 * car_width * cos)
    cabin_x = centre_x - sign * car.cabin_offset * length * sin
    slope = 0.25 * cabin_half
    body = _rounded_box(centre_x - half, body_top, centre_x + half, body_bottom, radius=0.25 * car.body_height * height)
    cabin = np.array(
        [
            (cabin_x - cabin_half, body_top + 2),
            (cabin_x - cabin_half + slope, cabin_top),
            (cabin_x + cabin_half - slope, cabin_top),
            (cabin_x + cabin_half, body_top + 2),
        ],
        dtype=np.int32,
    )
    wheels = []
    for along, across in ((-0.33, -0.5), (-0.33, 0.5), (0.33, -0.5), (0.33, 0.5)):
        x = centre_x + along * length * math.sin(theta) + across * 0.85 * car_width * math.cos(theta)
        axes = (max(int(radius * max(sin, 0.35)), 2), int(radius))
        wheels.append(((int(x), int(ground_y - radius)), axes))
    scale = width / KAGGLE_WIDTH
    frame = Frame(centre_x, length, car_width, theta, body_top, cabin_top, car.cabin_offset, car.cabin_length, scale)
    return View(wheels, body, cabin, ground_y, centre_x, int(half), part_shapes(car.parts, frame, height))


def _rounded_box(x0: float, y0: float, x1: float, y1: float, radius: float) -> np.ndarray:
    corners = []
    for cx, cy, start in (
        (x1 - radius, y0 + radius, -90),
        (x1 - radius, y1 - radius, 0),
        (x0 + radius, y1 - radius, 90),
        (x0 + radius, y0 + radius, 180),
    ):
        for step in range(0, 91, 15):
            a = math.radians(start + step)
            corners.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
    return np.array(corners, dtype=np.int32)


def render_mask(view: View, width: int, height: int) -> np.ndarray:
    """The car's silhouette as a uint8 mask of 0 (background) and 1 (car)."""
    mask = render_parts_mask(view, width, height)
    for centre, axes in view.wheels:
        cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, thickness=-1)
    return _fill_body(mask, view)


def render_parts_mask(view: View, width: int, height: int) -> np.ndarray:
    """The thin parts alone, 0/1: where a thin-part Dice should look."""
    mask = np.zeros((height, width), dtype=np.uint8)
    for part in view.parts:
        part.draw(mask, 1)
    return mask


def _fill_body(canvas: np.ndarray, view: View, painted_parts: bool = False) -> np.ndarray:
    # One fillPoly call per polygon: given both at once, OpenCV leaves their overlap
    # unfilled, which cut a hole through every mask where the cabin meets the body.
    for polygon in (view.body, view.cabin):
        cv2.fillPoly(canvas, [polygon], 1)
    for part in view.parts if painted_parts else ():
        if part.painted:
            part.draw(canvas, 1)
    return canvas


def render_photo(car: CarSpec, view: View, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A studio photo of the car: backdrop, soft floor shadow, shaded paint, glass, tyres, thin parts."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    backdrop = np.where(rows < 0.7, 238 - 20 * rows, 228 - 10 * (rows - 0.7)).astype(np.float32)
    # The shadow darkens the floor around the car's base; it is not in the mask.
    small = np.zeros((height // 8, width // 8), dtype=np.float32)
    cv2.ellipse(
        small,
        (view.centre_x // 8, view.ground_y // 8),
        (max(int(view.half_width * 1.1) // 8, 1), max(height // 60, 1)),
        0,
        0,
        360,
        1.0,
        -1,
    )
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=3)
    shadow = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    photo = np.empty((height, width, 3), dtype=np.float32)
    photo[:] = (backdrop * (1.0 - 0.55 * shadow))[..., None]

    # Only the car's bounding box is painted: most of a photo is backdrop, and this is most of the cost.
    layer = _fill_body(np.zeros((height, width), dtype=np.uint8), view, painted_parts=True)
    x, y, w, h = cv2.boundingRect(layer)
    box = (slice(y, y + h), slice(x, x + w))
    # Panels curve away from the camera at the silhouette and catch less light, as on a
    # real car: without that rim a white car on the white backdrop has no edge at all.
    edged = cv2.copyMakeBorder(layer[box], 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)  # distance to the outline
    rim = np.clip(cv2.distanceTransform(edged, cv2.DIST_L2, 3)[1:-1, 1:-1] / (0.01 * width), 0.0, 1.0)
    shade = 1.15 - 0.35 * rows[box[0]]  # lit from above
    paint = np.array(car.colour, dtype=np.float32) * (shade * (0.8 + 0.2 * rim))[..., None]
    np.copyto(photo[box], paint, where=layer[box][..., None] == 1)
    glass = view.cabin.copy()
    glass[:, 1] = np.clip(glass[:, 1], None, glass[:, 1].max() - 6)
    cv2.fillPoly(photo, [_shrink(glass, 0.85)], (40, 50, 60))
    for centre, axes in view.wheels:
        cv2.ellipse(photo, centre, axes, 0, 0, 360, (22, 22, 24), thickness=-1)
        cv2.ellipse(photo, centre, (int(axes[0] * 0.55), int(axes[1] * 0.55)), 0, 0, 360, (150, 150, 155), -1)
    for part in view.parts:
        if not part.painted:  # antenna, rack rails, spoiler posts: dark trim
            part.draw(photo, (28, 28, 32))
    # Sensor noise, one draw a pixel, uniform with a standard deviation of 3 (a third of normal draws' cost).
    photo += (rng.random((height, width, 1), dtype=np.float32) - 0.5) * np.float32(3 * 12**0.5)
    return np.clip(photo, 0, 255).astype(np.uint8)


def _shrink(polygon: np.ndarray, factor: float) -> np.ndarray:
    centre = polygon.mean(axis=0)
    return (centre + (polygon - centre) * factor).astype(np.int32)


def mask_to_gif(mask: np.ndarray) -> Image.Image:
    """A palette image whose indices are the mask's 0/1 values, as Kaggle's GIFs are."""
    image = Image.fromarray(mask.astype(np.uint8), mode="P")
    image.putpalette([0, 0, 0, 255, 255, 255] + [0, 0, 0] * 254)
    return image


@dataclass(frozen=True)
class SyntheticCarvana:
    """A seeded synthetic dataset: which cars exist and how to draw any of their photos."""

    train_cars: list[CarSpec]
    test_cars: list[CarSpec]
    width: int
    height: int
    seed: int

    def image_ids(self, cars: list[CarSpec]) -> list[str]:
        return [f"{car.car_id}_{angle:02d}" for car in cars for angle in range(1, ANGLES + 1)]

    def _find(self, image_id: str) -> tuple[CarSpec, int]:
        car_id, angle = image_id.rsplit("_", 1)
        car = next(c for c in self.train_cars + self.test_cars if c.car_id == car_id)
        return car, int(angle)

    def mask(self, image_id: str) -> np.ndarray:
        car, angle = self._find(image_id)
        return render_mask(car_view(car, angle, self.width, self.height), self.width, self.height)

    def photo(self, image_id: str) -> np.ndarray:
        car, angle = self._find(image_id)
        # Per-image noise seeded from the dataset seed and the image id: reproducible in any order.
        rng = np.random.default_rng([self.seed, int(car.car_id, 16) % 2**32, angle])
        return render_photo(car, car_view(car, angle, self.width, self.height), self.width, self.height, rng)

    def metadata(self) -> pd.DataFrame:
        rng = np.random.default_rng(self.seed + 1)
        rows = []
        for car in self.train_cars + self.test_cars:
            rows.append(
                {
                    "id": car.car_id,
                    "year": float(rng.integers(2000, 2017)),
                    "make": str(rng.choice(MAKES)),
                    "model": f"Model {rng.integers(1, 9)}",
                    "trim1": str(rng.choice(["Base", "LX", "Sport", None])),
                    "trim2": None,
                }
            )
        return pd.DataFrame(rows)

    def train_masks_csv(self) -> pd.DataFrame:
        ids = self.image_ids(self.train_cars)
        return pd.DataFrame({"img": [f"{i}.jpg" for i in ids], "rle_mask": [rle.encode(self.mask(i)) for i in ids]})

    def sample_submission(self) -> pd.DataFrame:
        ids = self.image_ids(self.test_cars)
        return pd.DataFrame({"img": [f"{i}.jpg" for i in ids], "rle_mask": ["1 1"] * len(ids)})


def make_dataset(
    n_train_cars: int, n_test_cars: int, width: int = 1918, height: int = 1280, seed: int = 0
) -> SyntheticCarvana:
    """Describe a seeded dataset; nothing is drawn until an image is asked for."""
    if min(n_train_cars, n_test_cars) < 1 or min(width, height) < 32:
        raise ValueError("need at least one train and one test car, and images of at least 32x32 pixels")
    rng = np.random.default_rng(seed)
    count = n_train_cars + n_test_cars
    paints = rng.permutation([PAINTS[i % len(PAINTS)] for i in range(count)])
    parts_rng = np.random.default_rng([seed, 1])  # its own stream: parts never reshape the cars' bodies
    cars = [random_car(rng, str(paint), random_parts(parts_rng)) for paint in paints]
    return SyntheticCarvana(cars[:n_train_cars], cars[n_train_cars:], width, height, seed)


def write_image(data: SyntheticCarvana, image_id: str, raw_dir: Path, folder: str, jpeg_quality: int = 90) -> None:
    """One photo as `raw_dir/folder/<id>.jpg`; a train photo also gets its GIF mask in train_masks."""
    Image.fromarray(data.photo(image_id)).save(raw_dir / folder / f"{image_id}.jpg", quality=jpeg_quality)
    if folder == "train":
        mask_to_gif(data.mask(image_id)).save(raw_dir / "train_masks" / f"{image_id_to_mask_key(image_id)}.gif")


def write_dataset(data: SyntheticCarvana, raw_dir: Path, jpeg_quality: int = 90) -> Iterator[str]:
    """Write the Kaggle layout into `raw_dir`, yielding each file name as it is written."""
    for folder in ("train", "train_masks", "test"):
        (raw_dir / folder).mkdir(parents=True, exist_ok=True)
    for image_id in data.image_ids(data.train_cars):
        write_image(data, image_id, raw_dir, "train", jpeg_quality)
        yield image_id
    for image_id in data.image_ids(data.test_cars):
        write_image(data, image_id, raw_dir, "test", jpeg_quality)
        yield image_id
    data.metadata().to_csv(raw_dir / "metadata.csv", index=False)
    data.train_masks_csv().to_csv(raw_dir / "train_masks.csv", index=False)
    data.sample_submission().to_csv(raw_dir / "sample_submission.csv", index=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic Carvana-like data in Kaggle's layout.")
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("--train-cars", type=int, default=8)
    parser.add_argument("--test-cars", type=int, default=2)
    parser.add_argument("--width", type=int, default=1918)
    parser.add_argument("--height", type=int, default=1280)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = make_dataset(args.train_cars, args.test_cars, args.width, args.height, args.seed)
    count = sum(1 for _ in write_dataset(data, args.raw_dir))
    print(f"wrote {count} images to {args.raw_dir}")


if __name__ == "__main__":
    main()
