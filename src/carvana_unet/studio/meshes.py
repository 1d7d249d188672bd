"""Triangle meshes as numpy arrays: the few solids a toy-like car is built from.

A mesh is `(vertices (N, 3) float32, faces (M, 3) uint32)`; y points up, x forward, z to the car's left.
"""

from __future__ import annotations

import numpy as np

Mesh = tuple[np.ndarray, np.ndarray]


def _grid_faces(rows: int, cols: int, wrap: bool) -> np.ndarray:
    """Two triangles per quad of a rows x cols vertex grid, the columns closing into a ring if `wrap`."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols if wrap else cols - 1), indexing="ij")
    a = r * cols + c
    b = r * cols + (c + 1) % cols
    d, e = a + cols, b + cols
    return np.concatenate([np.stack([a, d, b], -1), np.stack([b, d, e], -1)]).reshape(-1, 3)


def _cap(ring_start: int, count: int, centre: int, flip: bool) -> np.ndarray:
    ring = ring_start + np.arange(count)
    faces = np.stack([np.full(count, centre), ring, np.roll(ring, -1)], -1)
    return faces[:, ::-1] if flip else faces


def loft(
    x: np.ndarray,
    half_width: np.ndarray,
    bottom: np.ndarray,
    top: np.ndarray,
    exponent: float = 5.0,
    around: int = 48,
    z_offset: float = 0.0,
) -> Mesh:
    """A closed smooth solid whose cross-section at each `x` is a superellipse.

    The superellipse spans `bottom..top` in height and `+-half_width` across; a large `exponent`
    gives flat panels with rounded corners, 2 an ellipse. The ends are closed with flat caps."""
    theta = np.linspace(0, 2 * np.pi, around, endpoint=False)
    cos, sin = np.cos(theta), np.sin(theta)
    power = 2.0 / exponent
    across = np.sign(cos) * np.abs(cos) ** power
    up = np.sign(sin) * np.abs(sin) ** power
    centre_y, half_h = (bottom + top) / 2, np.maximum((top - bottom) / 2, 1e-4)
    ys = centre_y[:, None] + half_h[:, None] * up[None]
    zs = z_offset + np.maximum(half_width, 1e-4)[:, None] * across[None]
    xs = np.broadcast_to(x[:, None], ys.shape)
    vertices = np.stack([xs, ys, zs], -1).reshape(-1, 3)
    rows = len(x)
    ends = np.array([[x[0], centre_y[0], z_offset], [x[-1], centre_y[-1], z_offset]])
    first, last = len(vertices), len(vertices) + 1
    faces = np.concatenate(
        [
            _grid_faces(rows, around, wrap=True),
            _cap(0, around, first, flip=False),
            _cap((rows - 1) * around, around, last, flip=True),
        ]
    )
    return np.concatenate([vertices, ends]).astype(np.float32), faces.astype(np.uint32)


def box(centre: tuple[float, float, float], size: tuple[float, float, float]) -> Mesh:
    """An axis-aligned box; its corners are sharp, which suits trim, rails and spoilers."""
    corners = np.array([[i, j, k] for i in (-0.5, 0.5) for j in (-0.5, 0.5) for k in (-0.5, 0.5)])
    vertices = np.asarray(centre) + corners * np.asarray(size)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    faces = [f for a, b, c, d in quads for f in ((a, b, c), (a, c, d))]
    return vertices.astype(np.float32), np.array(faces, np.uint32)


def tube(start: tuple | np.ndarray, end: tuple | np.ndarray, radius: float, sides: int = 12) -> Mesh:
    """A capped cylinder from `start` to `end`: antennas, mirror arms, rails' posts, bull bars."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    axis = end - start
    length = np.linalg.norm(axis)
    axis /= length
    helper = np.array([0.0, 1.0, 0.0]) if abs(axis[1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    v = np.cross(axis, u)
    theta = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = radius * (np.cos(theta)[:, None] * u + np.sin(theta)[:, None] * v)
    vertices = np.concatenate([start + ring, end + ring, [start, end]])
    faces = np.concatenate(
        [
            _grid_faces(2, sides, wrap=True),
            _cap(0, sides, 2 * sides, flip=True),
            _cap(sides, sides, 2 * sides + 1, flip=False),
        ]
    )
    return vertices.astype(np.float32), faces.astype(np.uint32)


def wheel_profile(radius: float, width: float, centre: tuple, rounding: float = 0.35, sides: int = 40) -> Mesh:
    """A tyre: a short cylinder along z whose shoulders are rounded (a superellipse lathe)."""
    centre = np.asarray(centre, float)
    steps = np.linspace(-1, 1, 9)
    shoulder = (1 - np.abs(steps) ** 4) ** 0.25  # flat tread, rounded sidewall
    radii = radius * (1 - rounding * (1 - shoulder))
    theta = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    xs = centre[0] + radii[:, None] * np.cos(theta)[None]
    ys = centre[1] + radii[:, None] * np.sin(theta)[None]
    zs = np.broadcast_to((centre[2] + steps * width / 2)[:, None], xs.shape)
    vertices = np.stack([xs, ys, zs], -1).reshape(-1, 3)
    ends = np.array([[centre[0], centre[1], centre[2] - width / 2], [centre[0], centre[1], centre[2] + width / 2]])
    n = len(vertices)
    faces = np.concatenate(
        [
            _grid_faces(len(steps), sides, wrap=True),
            _cap(0, sides, n, flip=True),
            _cap(n - sides, sides, n + 1, flip=False),
        ]
    )
    return np.concatenate([vertices, ends]).astype(np.float32), faces.astype(np.uint32)


def merge(*meshes: Mesh) -> Mesh:
    """One mesh from several that share a material: fewer shapes, a smaller scene."""
    vertices, faces, offset = [], [], 0
    for v, f in meshes:
        vertices.append(v)
        faces.append(f + offset)
        offset += len(v)
    return np.concatenate(vertices).astype(np.float32), np.concatenate(faces).astype(np.uint32)


def turn(mesh: Mesh, degrees: float) -> Mesh:
    """The mesh turned about the vertical axis through the origin (the turntable's)."""
    a = np.radians(degrees)
    rotation = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    return (mesh[0] @ rotation.T).astype(np.float32), mesh[1]
