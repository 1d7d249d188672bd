"""Seeded 3D car designs: body type, proportions, paint and the thin parts real cars carry.

A design is plain data (`CarDesign`); `car_parts` turns it into triangle meshes, each tagged with
the material it is made of. Sizes are in metres, the car stands on y = 0 centred on the turntable,
its nose towards +x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carvana_unet.studio import meshes

BODY_TYPES = ("sedan", "hatchback", "estate", "suv", "pickup", "van", "coupe")
# Paints are dealt round-robin (then shuffled) so that even a handful of cars holds the hard
# cases: white and silver on the light backdrop, black above its own shadow.
PAINTS = ("white", "black", "silver", "colour", "grey", "white", "colour", "silver")

# Per body type: length, width, roof height, belt height, ground clearance, wheel radius (ranges)
# and the cabin's outline along the car (0 = tail, 1 = nose): rear glass base, roof rear, roof
# front, windscreen base.
_PROPORTIONS = {
    "sedan": (
        (4.4, 4.9),
        (1.75, 1.88),
        (1.40, 1.48),
        (0.92, 1.00),
        (0.13, 0.17),
        (0.31, 0.34),
        (0.17, 0.30, 0.56, 0.68),
    ),
    "hatchback": (
        (3.8, 4.3),
        (1.70, 1.82),
        (1.44, 1.52),
        (0.92, 1.00),
        (0.13, 0.17),
        (0.30, 0.33),
        (0.03, 0.12, 0.56, 0.69),
    ),
    "estate": (
        (4.5, 4.9),
        (1.78, 1.88),
        (1.45, 1.52),
        (0.92, 1.00),
        (0.13, 0.17),
        (0.31, 0.34),
        (0.02, 0.06, 0.55, 0.67),
    ),
    "suv": ((4.4, 4.9), (1.85, 1.98), (1.65, 1.80), (1.08, 1.20), (0.20, 0.26), (0.36, 0.40), (0.02, 0.07, 0.58, 0.69)),
    "pickup": (
        (5.0, 5.5),
        (1.88, 2.00),
        (1.78, 1.90),
        (1.12, 1.22),
        (0.22, 0.28),
        (0.37, 0.41),
        (0.36, 0.39, 0.55, 0.63),
    ),
    "van": ((4.8, 5.3), (1.88, 2.00), (1.90, 2.05), (1.05, 1.15), (0.16, 0.20), (0.33, 0.36), (0.01, 0.03, 0.70, 0.79)),
    "coupe": (
        (4.2, 4.6),
        (1.78, 1.88),
        (1.28, 1.36),
        (0.86, 0.94),
        (0.11, 0.14),
        (0.32, 0.35),
        (0.10, 0.28, 0.52, 0.65),
    ),
}


@dataclass(frozen=True)
class Paint:
    """A clear-coated car paint (Mitsuba's `principled` BSDF)."""

    name: str
    colour: tuple[float, float, float]  # linear RGB base colour
    metallic: float  # metallic flakes under the clear coat
    roughness: float


@dataclass(frozen=True)
class CarDesign:
    car_id: str
    body: str
    length: float
    width: float
    roof: float
    belt: float
    clearance: float
    wheel_radius: float
    cabin: tuple[float, float, float, float]
    paint: Paint
    parts: tuple[str, ...]  # optional extras: roof_rails, spoiler, bull_bar
    glass_tint: float  # the share of light the windows let through


def random_paint(rng: np.random.Generator, name: str) -> Paint:
    if name == "white":
        colour = (rng.uniform(0.70, 0.86),) * 3
        metallic, roughness = rng.uniform(0.0, 0.15), rng.uniform(0.15, 0.35)
    elif name == "silver":
        colour = (rng.uniform(0.50, 0.70),) * 3
        metallic, roughness = rng.uniform(0.6, 0.9), rng.uniform(0.25, 0.45)
    elif name == "black":
        colour = (rng.uniform(0.005, 0.025),) * 3
        metallic, roughness = rng.uniform(0.0, 0.4), rng.uniform(0.1, 0.3)
    elif name == "grey":
        colour = (rng.uniform(0.06, 0.25),) * 3
        metallic, roughness = rng.uniform(0.2, 0.7), rng.uniform(0.2, 0.4)
    else:
        hue, saturation, value = rng.uniform(), rng.uniform(0.5, 0.95), rng.uniform(0.15, 0.7)
        colour = tuple(float(c) for c in _hsv_to_rgb(hue, saturation, value))
        metallic, roughness = rng.uniform(0.0, 0.6), rng.uniform(0.15, 0.4)
    return Paint(name, tuple(float(c) for c in colour), float(metallic), float(roughness))


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    k = (np.array([5.0, 3.0, 1.0]) + h * 6) % 6
    return v - v * s * np.clip(np.minimum(k, 4 - k), 0, 1)


def random_design(rng: np.random.Generator, paint: str) -> CarDesign:
    body = str(rng.choice(BODY_TYPES))
    length, width, roof, belt, clearance, wheel, cabin = _PROPORTIONS[body]
    jitter = rng.uniform(-0.025, 0.025, 4)
    extras = [
        name for name, chance in (("roof_rails", 0.35), ("spoiler", 0.3), ("bull_bar", 0.15)) if rng.uniform() < chance
    ]
    return CarDesign(
        car_id="".join(rng.choice(list("0123456789abcdef"), 12)),
        body=body,
        length=float(rng.uniform(*length)),
        width=float(rng.uniform(*width)),
        roof=float(rng.uniform(*roof)),
        belt=float(rng.uniform(*belt)),
        clearance=float(rng.uniform(*clearance)),
        wheel_radius=float(rng.uniform(*wheel)),
        cabin=tuple(float(c) for c in np.clip(np.array(cabin) + jitter, 0.0, 1.0)),
        paint=random_paint(rng, paint),
        parts=tuple(extras),
        glass_tint=float(rng.uniform(0.3, 0.65)),
    )


def _along(design: CarDesign, fraction: float) -> float:
    """x of a point a `fraction` of the way from the tail (0) to the nose (1)."""
    return (fraction - 0.5) * design.length


def _lower_body(d: CarDesign) -> meshes.Mesh:
    s = np.linspace(-1, 1, 72)
    x = s * d.length / 2
    half_width = d.width / 2 * (1 - np.abs(s) ** 7) ** (1 / 7)
    ws_base = _along(d, d.cabin[3])
    nose = d.belt - 0.22 if d.body != "van" else d.belt - 0.12
    tail = d.belt - (0.06 if d.body in ("sedan", "coupe") else 0.1)
    slope = np.clip((x - ws_base) / (d.length / 2 - ws_base), 0, 1)
    top = d.belt + (nose - d.belt) * slope**1.6
    top = np.where(x < -d.length / 2 + 0.5, np.minimum(top, tail + (d.belt - tail) * (x + d.length / 2) / 0.5), top)
    bottom = d.clearance + 0.18 * np.clip(np.abs(s) - 0.82, 0, None) / 0.18
    return meshes.loft(x, half_width, bottom, top, exponent=5.0)


def _cabin_outline(d: CarDesign) -> tuple[np.ndarray, np.ndarray]:
    rear_base, roof_rear, roof_front, ws_base = (_along(d, f) for f in d.cabin)
    x = np.linspace(rear_base, ws_base, 40)
    top = np.interp(x, [rear_base, roof_rear, roof_front, ws_base], [d.belt + 0.02, d.roof, d.roof, d.belt + 0.02])
    return x, top


def _glasshouse(d: CarDesign) -> meshes.Mesh:
    x, top = _cabin_outline(d)
    inset = 0.09
    return meshes.loft(
        x, np.full_like(x, d.width / 2 - inset - 0.05), np.full_like(x, d.belt - 0.06), top - 0.035, exponent=6.0
    )


def _roof_and_pillars(d: CarDesign) -> meshes.Mesh:
    x, top = _cabin_outline(d)
    on_roof = top >= d.roof - 1e-6
    half_top = d.width / 2 - 0.16
    roof = meshes.loft(
        x[on_roof],
        np.full(on_roof.sum(), half_top + 0.02),
        np.full(on_roof.sum(), d.roof - 0.06),
        np.full(on_roof.sum(), d.roof),
        exponent=8.0,
    )
    rear_base, roof_rear, roof_front, ws_base = (_along(d, f) for f in d.cabin)
    belt_half = d.width / 2 - 0.12
    pillars = []
    for side in (-1, 1):
        pillars.append(
            meshes.tube((ws_base, d.belt, side * belt_half), (roof_front, d.roof - 0.03, side * half_top), 0.05, 8)
        )
        pillars.append(
            meshes.tube((rear_base, d.belt, side * belt_half), (roof_rear, d.roof - 0.03, side * half_top), 0.07, 8)
        )
        b = (roof_rear + roof_front) / 2
        pillars.append(meshes.tube((b, d.belt, side * belt_half), (b, d.roof - 0.03, side * half_top), 0.045, 8))
    return meshes.merge(roof, *pillars)


def _interior(d: CarDesign) -> meshes.Mesh:
    rear_base, roof_rear, roof_front, ws_base = (_along(d, f) for f in d.cabin)
    seats = [
        meshes.box((x, d.belt + 0.05, 0.0), (0.25, 0.7, d.width - 0.55))
        for x in np.linspace(rear_base + 0.5, ws_base - 0.7, 2)
    ]
    dash = meshes.box((ws_base - 0.2, d.belt - 0.05, 0.0), (0.3, 0.3, d.width - 0.4))
    return meshes.merge(dash, *seats)


def _wheels(d: CarDesign) -> tuple[meshes.Mesh, meshes.Mesh]:
    r, width = d.wheel_radius, 0.2 + 0.1 * (d.wheel_radius - 0.3)
    front, rear = d.length / 2 - 0.85 - 0.3 * (d.body in ("van", "pickup")), -d.length / 2 + 0.95
    tyres, rims = [], []
    for x in (front, rear):
        for side in (-1, 1):
            z = side * (d.width / 2 - width / 2 + 0.015)
            tyres.append(meshes.wheel_profile(r, width, (x, r, z)))
            face = z + side * width / 2
            rims.append(meshes.tube((x, r, face - side * 0.05), (x, r, face + side * 0.004), r * 0.66, 24))
            for spoke in range(5):
                a = 2 * np.pi * spoke / 5
                tip = (x + 0.6 * r * np.cos(a), r + 0.6 * r * np.sin(a), face + side * 0.012)
                rims.append(meshes.tube((x, r, face + side * 0.012), tip, 0.03, 6))
    return meshes.merge(*tyres), meshes.merge(*rims)


def _mirrors(d: CarDesign) -> tuple[meshes.Mesh, meshes.Mesh]:
    x = _along(d, d.cabin[3]) - 0.12
    housings, arms = [], []
    for side in (-1, 1):
        root = (x, d.belt + 0.04, side * (d.width / 2 - 0.14))
        tip = (x - 0.04, d.belt + 0.1, side * (d.width / 2 + 0.12))
        arms.append(meshes.tube(root, tip, 0.014, 8))
        housings.append(meshes.box((x - 0.05, d.belt + 0.14, side * (d.width / 2 + 0.14)), (0.09, 0.12, 0.2)))
    return meshes.merge(*housings), meshes.merge(*arms)


def _antenna(d: CarDesign, rng: np.random.Generator) -> meshes.Mesh:
    x, top = _cabin_outline(d)
    base_x = _along(d, d.cabin[1]) + 0.1
    length = rng.uniform(0.35, 0.7)
    lean = np.radians(rng.uniform(10, 35))
    base = (base_x, d.roof - 0.005, 0.0)
    return meshes.tube(
        base, (base_x - length * np.sin(lean), d.roof + length * np.cos(lean), 0.0), rng.uniform(0.003, 0.006), 6
    )


def _extras(d: CarDesign) -> meshes.Mesh | None:
    parts = []
    if "roof_rails" in d.parts:
        x0, x1 = _along(d, d.cabin[1]) + 0.05, _along(d, d.cabin[2]) - 0.05
        for side in (-1, 1):
            z = side * (d.width / 2 - 0.2)
            parts.append(meshes.tube((x0, d.roof + 0.07, z), (x1, d.roof + 0.07, z), 0.018, 8))
            parts += [meshes.tube((x, d.roof - 0.01, z), (x, d.roof + 0.07, z), 0.015, 6) for x in (x0, x1)]
    if "spoiler" in d.parts:
        x = -d.length / 2 + 0.18
        height = d.belt + 0.12 if d.body in ("sedan", "coupe", "pickup") else d.roof + 0.02
        parts.append(meshes.box((x, height, 0.0), (0.18, 0.025, d.width - 0.3)))
        parts += [meshes.tube((x, height - 0.14, s * 0.5), (x, height, s * 0.5), 0.015, 6) for s in (-1, 1)]
    if "bull_bar" in d.parts:
        x = d.length / 2 + 0.1
        for side in (-1, 1):
            parts.append(meshes.tube((x, d.clearance + 0.1, side * 0.45), (x, d.belt - 0.15, side * 0.45), 0.025, 8))
        parts.append(meshes.tube((x, d.belt - 0.15, -0.45), (x, d.belt - 0.15, 0.45), 0.025, 8))
        parts.append(meshes.tube((x, d.clearance + 0.3, -0.45), (x, d.clearance + 0.3, 0.45), 0.025, 8))
    return meshes.merge(*parts) if parts else None


def _lights_and_grille(d: CarDesign) -> tuple[meshes.Mesh, meshes.Mesh, meshes.Mesh]:
    nose, tail = d.length / 2, -d.length / 2
    front_y = d.belt - 0.3
    heads = [meshes.box((nose - 0.1, front_y, s * (d.width / 2 - 0.3)), (0.2, 0.1, 0.3)) for s in (-1, 1)]
    tails = [meshes.box((tail + 0.08, d.belt - 0.14, s * (d.width / 2 - 0.22)), (0.18, 0.1, 0.28)) for s in (-1, 1)]
    grille = meshes.box((nose - 0.1, front_y - 0.12, 0.0), (0.2, 0.16, d.width - 0.9))
    bed = []
    if d.body == "pickup":
        x0, x1 = tail + 0.12, _along(d, d.cabin[0]) - 0.08
        bed.append(meshes.box(((x0 + x1) / 2, d.belt - 0.005, 0.0), (x1 - x0, 0.03, d.width - 0.22)))
    return meshes.merge(*heads), meshes.merge(*tails), meshes.merge(grille, *bed)


def car_parts(design: CarDesign, rng: np.random.Generator) -> list[tuple[str, str, meshes.Mesh]]:
    """`(part, material, mesh)` for every part of the car, in the car's own frame."""
    tyres, rims = _wheels(design)
    housings, arms = _mirrors(design)
    heads, tails, trim = _lights_and_grille(design)
    parts = [
        ("body", "paint", _lower_body(design)),
        ("roof", "paint", _roof_and_pillars(design)),
        ("glass", "glass", _glasshouse(design)),
        ("interior", "interior", _interior(design)),
        ("tyres", "rubber", tyres),
        ("rims", "alloy", rims),
        ("mirrors", "paint", housings),
        ("mirror_arms", "trim", arms),
        ("antenna", "trim", _antenna(design, rng)),
        ("headlights", "lamp", heads),
        ("taillights", "taillight", tails),
        ("grille", "trim", trim),
    ]
    extras = _extras(design)
    if extras is not None:
        parts.append(("extras", "chrome" if "bull_bar" in design.parts else "trim", extras))
    return parts
