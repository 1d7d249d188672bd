"""Mixed-resolution rendering: shading path-traced at a fraction of the size, geometry at full size.

Path tracing every pixel of a 1918x1280 photo costs seconds on two cores, but in a studio the light
on a surface varies slowly while the edges between surfaces do not. So the photo is assembled from
- which surface every pixel sees, by casting rays at full resolution (16 per pixel along edges,
  which also gives the mask: a pixel is car where at least half of its rays hit the car), and
- the light, path-traced at 1/`shade_factor` of the size, spread over each surface separately
  (a push-pull fill over that surface's low-resolution pixels), so that no colour bleeds across an edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import cv2
import numpy as np
from scipy import ndimage

from carvana_unet.studio.scene import CarScene

EDGE_GRID = 4  # rays per pixel along each axis where surfaces meet: coverage in steps of 1/16


@dataclass(frozen=True)
class Rendered:
    photo: np.ndarray  # linear RGB at full size, exposure applied, (H, W, 3) float32
    mask: np.ndarray  # uint8 0/1: at least half of the pixel is car


def cast(
    mi: ModuleType, scene: object, sensor: object, xs: np.ndarray, ys: np.ndarray, width: int, height: int
) -> np.ndarray:
    """Registry id of the shape each ray through film position (xs, ys) hits first (0: nothing)."""
    import drjit as dr  # noqa: PLC0415 - Dr.Jit loads LLVM: only in rendering processes

    if len(xs) == 0:
        return np.zeros(0, np.uint32)
    position = mi.Point2f(np.asarray(xs, np.float32) / width, np.asarray(ys, np.float32) / height)
    ray, _ = sensor.sample_ray(0.0, 0.5, position, mi.Point2f(0.5, 0.5))
    hit = scene.ray_intersect_preliminary(ray)
    return np.asarray(dr.reinterpret_array(mi.UInt32, hit.shape), np.uint32)


def _edges(ids: np.ndarray) -> np.ndarray:
    """Pixels whose 3x3 neighbourhood holds car and background, grown by a pixel (edges between
    two parts of the car are left to the lens blur: they do not change the mask)."""
    lo = cv2.erode(ids.astype(np.float32), np.ones((3, 3), np.uint8))
    hi = cv2.dilate(ids.astype(np.float32), np.ones((3, 3), np.uint8))
    return cv2.dilate((lo != hi).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def surfaces(
    mi: ModuleType, car: CarScene, sensor: object, width: int, height: int, degrees: float, car_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Centre ids (H, W), whether they are the car's, edge pixels (N,) flat indices, and their
    EDGE_GRID**2 sub-pixel ids (N, 16).

    Rays are cast only inside the car's projected outline (plus a margin); the rest of the frame
    sees the backdrop."""
    r0, r1, c0, c1 = car.screen_window(degrees, width, height, margin=4)
    centre = np.full((height, width), car.shape_ids()["cove"], np.uint32)
    ys, xs = np.mgrid[r0:r1, c0:c1].astype(np.float32)
    centre[r0:r1, c0:c1] = cast(mi, car.photo, sensor, xs.ravel() + 0.5, ys.ravel() + 0.5, width, height).reshape(
        r1 - r0, c1 - c0
    )
    on_car = np.isin(centre, car_ids)
    edge = np.flatnonzero(_edges(on_car))
    offsets = (np.arange(EDGE_GRID) + 0.5) / EDGE_GRID
    ox, oy = np.meshgrid(offsets, offsets)
    ex = (edge % width)[:, None] + ox.ravel()[None]
    ey = (edge // width)[:, None] + oy.ravel()[None]
    sub = cast(mi, car.photo, sensor, ex.ravel(), ey.ravel(), width, height).reshape(len(edge), EDGE_GRID**2)
    return centre, on_car, edge, sub


def _push_pull(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Fill where `weights` is 0 from the nearest weighted values, coarse to fine."""
    if weights.min() > 0 or min(weights.shape) <= 1:
        total = max(float(weights.sum()), 1e-6)
        return (
            values
            if weights.min() > 0
            else np.broadcast_to((values * weights[..., None]).sum((0, 1)) / total, values.shape)
        )
    h, w = weights.shape
    half = (max(w // 2, 1), max(h // 2, 1))
    coarse_w = cv2.resize(weights, half, interpolation=cv2.INTER_AREA)
    coarse_v = cv2.resize(values * weights[..., None], half, interpolation=cv2.INTER_AREA)
    coarse = _push_pull(coarse_v / np.maximum(coarse_w, 1e-6)[..., None], coarse_w)
    up = cv2.resize(np.ascontiguousarray(coarse), (w, h), interpolation=cv2.INTER_LINEAR).reshape(h, w, -1)
    return np.where((weights > 0)[..., None], values, up)


def _surface_light(shading: np.ndarray, low_ids: np.ndarray, pure: np.ndarray, surface: int) -> np.ndarray:
    """The low-resolution light on one surface, filled across the whole frame."""
    weights = ((low_ids == surface) & pure).astype(np.float32)
    if weights.sum() == 0:  # a part thinner than a shading pixel: take its impure pixels
        weights = (low_ids == surface).astype(np.float32) * 0.05
    if weights.sum() == 0:
        return np.full_like(shading, 0.02)
    return _push_pull(shading, weights).astype(np.float32)


def shading_size(width: int, height: int, shade_factor: int) -> tuple[int, int]:
    """(height, width) the light is path-traced at."""
    return max(height // shade_factor, 8), max(width // shade_factor, 8)


def render_view(
    mi: ModuleType,
    car: CarScene,
    degrees: float,
    width: int,
    height: int,
    seed: int,
) -> Rendered:
    """The photo (linear, exposed) and the mask of the car turned to `degrees`; the light is traced at
    the size of the scene's own film."""
    car.turn(degrees)
    full = mi.load_dict(car.sensor_dict(width, height))
    car_ids = np.fromiter(car.car_shape_ids(), np.uint32)
    centre, on_car, edge, sub = surfaces(mi, car, full, width, height, degrees, car_ids)
    mask = on_car.astype(np.uint8).ravel()
    mask[edge] = np.isin(sub, car_ids).mean(1) >= 0.5
    mask = mask.reshape(height, width)

    # One sample a pixel per pass, summed here: several samples of one pixel in one pass are added
    # into the film by whichever threads trace them, in an order that changes the last bits.
    passes = [
        np.asarray(mi.render(car.photo, seed=(seed * car.spp + k) % 2**32, spp=1), np.float32) for k in range(car.spp)
    ]
    shading = _denoise(np.sum(passes, axis=0) / car.spp)
    low_h, low_w = shading.shape[:2]
    low_sensor = mi.load_dict(car.sensor_dict(low_w, low_h))
    ys, xs = np.mgrid[0:low_h, 0:low_w].astype(np.float32)
    corners = [
        cast(mi, car.photo, low_sensor, xs.ravel() + dx, ys.ravel() + dy, low_w, low_h)
        for dx in (0.1, 0.9)
        for dy in (0.1, 0.9)
    ]
    low_ids = cast(mi, car.photo, low_sensor, xs.ravel() + 0.5, ys.ravel() + 0.5, low_w, low_h)
    pure = np.all([c == low_ids for c in corners], axis=0).reshape(low_h, low_w)
    low_ids = low_ids.reshape(low_h, low_w)

    photo = _assemble(shading, low_ids, pure, centre, edge, sub)
    backdrop = photo[(mask == 0)]
    scale = car.studio.exposure / max(float(np.percentile(backdrop.mean(1), 90)) if len(backdrop) else 1.0, 1e-3)
    return Rendered(photo * scale, mask)


def _assemble(
    shading: np.ndarray, low_ids: np.ndarray, pure: np.ndarray, centre: np.ndarray, edge: np.ndarray, sub: np.ndarray
) -> np.ndarray:
    """The full-size photo: each pixel takes the light of the surface its rays see, interpolated
    from that surface's own low-resolution pixels (edge pixels average their 16 rays' surfaces)."""

    height, width = centre.shape
    low_h, low_w = low_ids.shape
    map_x = np.broadcast_to(((np.arange(width, dtype=np.float32) + 0.5) * low_w / width - 0.5)[None], (height, width))
    map_y = np.broadcast_to(
        ((np.arange(height, dtype=np.float32) + 0.5) * low_h / height - 0.5)[:, None], (height, width)
    )
    # Registry ids are small integers: a lookup table numbers the surfaces 1..n without sorting.
    present = np.bincount(centre.ravel()) > 0
    present[np.unique(sub)] = True
    surfaces_ = np.flatnonzero(present)
    table = np.zeros(len(present), np.int32)
    table[surfaces_] = np.arange(1, len(surfaces_) + 1)
    centre_labels, sub_labels = table[centre], table[sub]
    photo = np.zeros((height, width, 3), np.float32)
    edge_rows, edge_cols = np.divmod(edge, width)
    edge_colour = np.zeros((len(edge), 3), np.float32)
    windows = ndimage.find_objects(centre_labels, max_label=len(surfaces_))
    for label, surface in enumerate(surfaces_, start=1):
        share = (sub_labels == label).mean(1)
        hit = share > 0
        rows = [w.indices(height)[:2] for w in ([windows[label - 1][0]] if windows[label - 1] else [])]
        cols = [w.indices(width)[:2] for w in ([windows[label - 1][1]] if windows[label - 1] else [])]
        if hit.any():
            rows.append((edge_rows[hit].min(), edge_rows[hit].max() + 1))
            cols.append((edge_cols[hit].min(), edge_cols[hit].max() + 1))
        r0, r1 = min(r[0] for r in rows), max(r[1] for r in rows)
        c0, c1 = min(c[0] for c in cols), max(c[1] for c in cols)
        light = cv2.remap(
            _surface_light(shading, low_ids, pure, surface),
            np.ascontiguousarray(map_x[r0:r1, c0:c1]),
            np.ascontiguousarray(map_y[r0:r1, c0:c1]),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        at = centre_labels[r0:r1, c0:c1] == label
        photo[r0:r1, c0:c1][at] = light[at]
        edge_colour[hit] += share[hit, None] * light[edge_rows[hit] - r0, edge_cols[hit] - c0]
    photo.reshape(-1, 3)[edge] = edge_colour
    return photo


def _denoise(image: np.ndarray) -> np.ndarray:
    """Intel Open Image Denoise over the low-sample light (imported here: it loads Dr.Jit)."""
    import mitsuba_oidn  # noqa: PLC0415

    return np.asarray(
        mitsuba_oidn.denoise(np.ascontiguousarray(image), hdr=True, quality=mitsuba_oidn.Quality.Fast), np.float32
    )
