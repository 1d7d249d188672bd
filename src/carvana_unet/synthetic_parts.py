"""The thin parts of a synthetic car: antenna, side mirrors, roof rack, rear spoiler.

Real Carvana cars have parts narrower than one pixel of a low-resolution model input
(a radio antenna is 1-3 pixels wide at 1918x1280), and Kaggle's labellers drew them into
the masks, gaps under a roof rail included. Without them a refinement that only smooths
the outline would look perfect on synthetic data. Sizes are fractions of the image, or
pixels at Kaggle's 1918 width, scaled with the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

KAGGLE_WIDTH = 1918
# How often a car has each part: most cars have mirrors, fewer a whip antenna, a rack or a spoiler.
FREQUENCY = {"antenna": 0.55, "mirrors": 0.9, "roof_rack": 0.3, "spoiler": 0.35}


@dataclass(frozen=True)
class Parts:
    """Which thin parts a car has and their sizes; None where it has none."""

    antenna: tuple[float, float, float, int] | None = None  # where on the roof (0 mid, 1 rear), length, rake, px
    mirrors: tuple[float, float, int] | None = None  # reach beyond the body (of car width), head height, arm px
    roof_rack: tuple[float, int] | None = None  # gap above the roof (of image height), rail px
    spoiler: tuple[float, int, int] | None = None  # height above the body (of image height), plate px, post px


def random_parts(rng: np.random.Generator) -> Parts:
    """Each part with its FREQUENCY; every size is drawn either way, so one part never shifts another's."""
    has = [rng.random() < p for p in FREQUENCY.values()]
    sizes = (
        (
            float(rng.uniform(0.3, 0.9)),
            float(rng.uniform(0.07, 0.14)),
            float(rng.uniform(0.1, 0.5)),
            int(rng.integers(1, 4)),
        ),
        (float(rng.uniform(0.03, 0.08)), float(rng.uniform(0.025, 0.04)), int(rng.integers(2, 6))),
        (float(rng.uniform(0.006, 0.012)), int(rng.integers(4, 9))),
        (float(rng.uniform(0.015, 0.03)), int(rng.integers(5, 11)), int(rng.integers(3, 7))),
    )
    return Parts(*(size if present else None for present, size in zip(has, sizes, strict=True)))


@dataclass(frozen=True)
class Shape:
    """One drawn piece: a polyline `thickness` pixels wide, or a filled polygon when thickness is 0."""

    points: np.ndarray  # int32 (N, 2)
    thickness: int
    painted: bool  # in the car's paint (mirrors, spoiler plate), else dark trim (antenna, rack, posts)

    def draw(self, canvas: np.ndarray, value: int | tuple[int, int, int]) -> None:
        if self.thickness:
            cv2.polylines(canvas, [self.points], False, value, self.thickness)
        else:
            cv2.fillPoly(canvas, [self.points], value)


@dataclass(frozen=True)
class Frame:
    """Where a point of the car lands in the photo: along its length (+ front) and across its width."""

    centre_x: float
    length: float  # pixels
    width: float
    theta: float
    body_top: float
    cabin_top: float
    cabin_offset: float  # cabin centre behind the car centre, fraction of length
    cabin_length: float  # fraction of length
    scale: float  # image width / Kaggle's

    def x(self, along: float, across: float) -> float:
        return self.centre_x + along * self.length * math.sin(self.theta) + across * self.width * math.cos(self.theta)

    def px(self, kaggle_pixels: int) -> int:
        return max(1, round(kaggle_pixels * self.scale))

    def span(self, along: tuple[float, float], across: tuple[float, float]) -> tuple[float, float]:
        xs = [self.x(a, c) for a in along for c in across]
        return min(xs), max(xs)


def _box(x0: float, x1: float, y0: float, y1: float, painted: bool) -> Shape:
    points = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=np.int32)
    return Shape(points, 0, painted)


def _line(points: list[tuple[float, float]], thickness: int, painted: bool = False) -> Shape:
    return Shape(np.array(points, dtype=np.int32), thickness, painted)


def part_shapes(parts: Parts, frame: Frame, image_height: int) -> list[Shape]:
    """The parts as seen from the frame's angle; a part hidden behind the body is simply inside its outline."""
    shapes: list[Shape] = []
    cabin, half_roof = -frame.cabin_offset, 0.5 * frame.cabin_length
    if parts.antenna:
        where, length, rake, width = parts.antenna
        along, height = cabin - where * 0.6 * half_roof, length * image_height
        tip = (frame.x(along - height * math.sin(rake) / frame.length, 0), frame.cabin_top - height * math.cos(rake))
        shapes.append(_line([(frame.x(along, 0), frame.cabin_top + 2), tip], frame.px(width)))
    if parts.mirrors:
        reach, head, arm = parts.mirrors
        along, head_px = cabin + half_roof + 0.02, head * image_height
        y = frame.body_top - 0.4 * head_px  # the head sits on the door, the arm reaches out to it
        for side in (-1, 1):
            outer = side * (0.5 + reach)
            root = (frame.x(along, side * 0.42), frame.body_top - 2)
            shapes.append(_line([root, (frame.x(along, outer), y)], frame.px(arm), painted=True))
            x0, x1 = frame.span((along - 0.015, along + 0.015), (outer, outer - side * 0.09))
            shapes.append(_box(x0, x1, y - 0.5 * head_px, y + 0.5 * head_px, painted=True))
    if parts.roof_rack:
        gap, rail = parts.roof_rack
        ends, rail_y = (cabin - 0.6 * half_roof, cabin + 0.6 * half_roof), frame.cabin_top - gap * image_height
        for across in (-0.25, 0.25):
            (x0, x1), base = (frame.x(end, across) for end in ends), frame.cabin_top + 2
            shapes.append(_line([(x0, base), (x0, rail_y), (x1, rail_y), (x1, base)], frame.px(rail)))
    if parts.spoiler:
        height, plate, post = parts.spoiler
        top = frame.body_top - height * image_height
        x0, x1 = frame.span((-0.47, -0.40), (-0.42, 0.42))
        shapes.append(_box(x0, x1, top, top + frame.px(plate), painted=True))
        for across in (-0.3, 0.3):
            x = frame.x(-0.435, across)
            shapes.append(_line([(x, frame.body_top + 2), (x, top)], frame.px(post)))
    return shapes
