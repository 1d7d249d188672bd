"""The studio around the turntable, the materials and the Mitsuba 3 scene of one car.

The car turns on the turntable (its meshes are re-posed for each of the 16 views) while the
camera, the lights and the backdrop stay put, as in Carvana's studio; one scene serves a car's
16 views, so Dr.Jit compiles its kernels once and reuses them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from carvana_unet.studio import meshes
from carvana_unet.studio.cars import CarDesign

_LLVM_LIBRARIES = (
    "/usr/lib/x86_64-linux-gnu/libLLVM-19.so",
    "/usr/lib/llvm-19/lib/libLLVM.so.1",
    "/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1",
)


def mitsuba(threads: int | None = None) -> ModuleType:
    """Mitsuba 3 with its vectorised LLVM variant (Dr.Jit needs an LLVM >= 17 shared library)."""
    if "DRJIT_LIBLLVM_PATH" not in os.environ:
        found = next((path for path in _LLVM_LIBRARIES if Path(path).exists()), None)
        if found:
            os.environ["DRJIT_LIBLLVM_PATH"] = found
    # Imported here, not at the top: once Dr.Jit has loaded LLVM, TensorFlow cannot load in the same
    # process (and the other way round), so only rendering processes import Mitsuba.
    import drjit as dr  # noqa: PLC0415
    import mitsuba as mi  # noqa: PLC0415

    try:
        if mi.variant() != "llvm_ad_rgb":
            mi.set_variant("llvm_ad_rgb")
    except Exception as error:  # noqa: BLE001 - Dr.Jit raises a plain exception without LLVM
        raise RuntimeError(
            f"Mitsuba's LLVM variant needs LLVM >= 17 ({error}); install it with "
            "`apt-get install libllvm19` (`make run` does) or set DRJIT_LIBLLVM_PATH"
        ) from error
    if threads:
        dr.set_thread_count(threads)
    return mi


@dataclass(frozen=True)
class Studio:
    """Camera and lights, drawn per car so that the data holds several set-ups."""

    camera_height: float
    camera_distance: float
    fov: float  # horizontal, degrees
    target_height: float
    backdrop: tuple[float, float, float]  # linear RGB reflectance of the cove
    key_light: float  # radiance of the overhead softbox
    fill_light: float  # radiance of the two softboxes beside the camera
    ambient: float  # the rest of the room, a dim constant environment
    key_offset: float  # the softbox's x: it moves the shadow's soft side
    exposure: float  # the backdrop's brightness in the photo, linear


def random_studio(rng: np.random.Generator) -> Studio:
    tone = rng.uniform(0.6, 0.85)
    tint = rng.uniform(-0.02, 0.02, 3)
    return Studio(
        camera_height=float(rng.uniform(1.2, 2.2)),
        camera_distance=8.0,
        fov=float(rng.uniform(32, 44)),
        target_height=float(rng.uniform(0.55, 0.85)),
        backdrop=tuple(float(tone + t) for t in tint),
        key_light=float(rng.uniform(2.0, 5.0)),
        fill_light=float(rng.uniform(0.4, 1.6)),
        ambient=float(rng.uniform(0.15, 0.45)),
        key_offset=float(rng.uniform(-1.0, 1.5)),
        exposure=float(rng.uniform(0.72, 0.9)),
    )


def bsdf(kind: str, design: CarDesign) -> dict:
    """The material of a part: paint is a clear-coated principled BSDF, glass is thin glass, ..."""
    paint = design.paint
    library = {
        "paint": {
            "type": "principled",
            "base_color": {"type": "rgb", "value": list(paint.colour)},
            "metallic": paint.metallic,
            "roughness": paint.roughness,
            "clearcoat": 1.0,
            "clearcoat_gloss": 0.9,
        },
        "glass": {
            "type": "thindielectric",
            "int_ior": 1.5,
            "specular_transmittance": {"type": "rgb", "value": [design.glass_tint] * 3},
        },
        "interior": {"type": "diffuse", "reflectance": {"type": "rgb", "value": [0.04, 0.04, 0.045]}},
        "rubber": {"type": "roughplastic", "alpha": 0.5, "diffuse_reflectance": {"type": "rgb", "value": [0.025] * 3}},
        "alloy": {"type": "roughconductor", "material": "Al", "alpha": 0.2},
        "chrome": {"type": "roughconductor", "material": "Cr", "alpha": 0.05},
        "trim": {"type": "roughplastic", "alpha": 0.3, "diffuse_reflectance": {"type": "rgb", "value": [0.02] * 3}},
        "lamp": {"type": "roughplastic", "alpha": 0.05, "diffuse_reflectance": {"type": "rgb", "value": [0.5] * 3}},
        "taillight": {
            "type": "roughplastic",
            "alpha": 0.05,
            "diffuse_reflectance": {"type": "rgb", "value": [0.3, 0.01, 0.01]},
        },
        "backdrop": {"type": "diffuse", "reflectance": {"type": "rgb", "value": [0.8] * 3}},
    }
    material = library[kind]
    return material if kind == "glass" else {"type": "twosided", "material": material}


def cove(
    behind: float = 7.0, front: float = 14.0, radius: float = 3.0, height: float = 9.0, half_width: float = 25.0
) -> meshes.Mesh:
    """The backdrop: a floor that curves up into the wall behind the car, seamless as in a studio."""
    arc = np.linspace(0, np.pi / 2, 16)
    z = np.concatenate([[front], -behind + radius - radius * np.sin(arc), [-behind]])
    y = np.concatenate([[0.0], radius - radius * np.cos(arc), [height]])
    vertices = np.array([[x, yy, zz] for yy, zz in zip(y, z) for x in (-half_width, half_width)], np.float32)
    faces = [f for r in range(len(y) - 1) for f in ((2 * r, 2 * r + 1, 2 * r + 2), (2 * r + 1, 2 * r + 3, 2 * r + 2))]
    return vertices, np.array(faces, np.uint32)


def sensor(mi: ModuleType, studio: Studio, width: int, height: int, spp: int = 1) -> dict:
    return {
        "type": "perspective",
        "fov": studio.fov,
        "fov_axis": "x",
        "to_world": mi.ScalarTransform4f().look_at(
            origin=[0.0, studio.camera_height, studio.camera_distance],
            target=[0.0, studio.target_height, 0.0],
            up=[0, 1, 0],
        ),
        "sampler": {"type": "independent", "sample_count": spp},
        # A box filter keeps the noise of neighbouring pixels independent, which the denoiser needs.
        "film": {
            "type": "hdrfilm",
            "width": width,
            "height": height,
            "rfilter": {"type": "box"},
            "pixel_format": "rgb",
        },
    }


def _softbox(mi: ModuleType, centre: list, size: tuple, radiance: float, target: list) -> dict:
    overhead = abs(target[1] - centre[1]) > abs(target[2] - centre[2])
    return {
        "type": "rectangle",
        "to_world": mi.ScalarTransform4f().look_at(
            origin=centre, target=target, up=[1, 0, 0] if overhead else [0, 1, 0]
        )
        @ mi.ScalarTransform4f().scale([size[0] / 2, size[1] / 2, 1.0]),
        "emitter": {"type": "area", "radiance": {"type": "rgb", "value": [radiance] * 3}},
    }


def _mesh(mi: ModuleType, name: str, mesh: meshes.Mesh, material: object) -> object:
    import drjit as dr  # noqa: PLC0415 - see mitsuba()

    vertices, faces = mesh
    props = mi.Properties()
    props["bsdf"] = material
    shape = mi.Mesh(name, len(vertices), len(faces), props=props, has_vertex_normals=False)
    params = mi.traverse(shape)
    params["vertex_positions"] = dr.ravel(mi.Point3f(np.ascontiguousarray(vertices.T)))
    params["faces"] = dr.ravel(mi.Vector3u(np.ascontiguousarray(faces.T)))
    params.update()
    return shape


class CarScene:
    """One car in the studio, turned to any angle."""

    def __init__(
        self,
        mi: ModuleType,
        design: CarDesign,
        parts: list,
        studio: Studio,
        width: int,
        height: int,
        spp: int,
        materials: dict[str, object] | None = None,
    ):
        """`width` x `height` is the size the light is path-traced at, with `spp` samples per pixel.
        `materials` caches the loaded BSDFs by kind, to be passed to the next scene of the same car
        and studio: loading one takes about as long as tracing a view's shading at 1 spp."""
        self.mi, self.parts, self.studio, self.spp = mi, parts, studio, spp
        self.materials = {} if materials is None else materials
        shapes = {name: _mesh(mi, name, mesh, self._material(kind, design)) for name, kind, mesh in parts}
        # In the dict's order: the default load (parallel, merging alike objects) lists the lights in
        # an order that changes from one load to the next (the two fill lights swap about one time in
        # ten), and with it the light each random number picks, so the noise of every pixel.
        self.photo = mi.load_dict(
            {
                "type": "scene",
                "integrator": {"type": "path", "max_depth": 6},
                "sensor": sensor(mi, studio, width, height, spp),
                "cove": _mesh(mi, "cove", cove(), self._material("backdrop", design)),
                "key": _softbox(
                    mi, [studio.key_offset, 5.5, 0.0], (7.0, 5.0), studio.key_light, [studio.key_offset, 0.0, 0.0]
                ),
                "fill_left": _softbox(
                    mi, [-4.5, 3.0, studio.camera_distance], (3.0, 3.0), studio.fill_light, [0.0, 0.8, 0.0]
                ),
                "fill_right": _softbox(
                    mi, [4.5, 3.0, studio.camera_distance], (3.0, 3.0), studio.fill_light, [0.0, 0.8, 0.0]
                ),
                "ambient": {"type": "constant", "radiance": {"type": "rgb", "value": [studio.ambient] * 3}},
                **shapes,
            },
            parallel=False,
            optimize=False,
        )
        self.photo_params = mi.traverse(self.photo)
        self._shape_ids: dict[str, int] | None = None

    def _material(self, kind: str, design: CarDesign) -> object:
        if kind not in self.materials:
            material = bsdf(kind, design)
            if kind == "backdrop":
                material["material"]["reflectance"]["value"] = list(self.studio.backdrop)
            self.materials[kind] = self.mi.load_dict(material)
        return self.materials[kind]

    def sensor_dict(self, width: int, height: int) -> dict:
        return sensor(self.mi, self.studio, width, height)

    def turn(self, degrees: float) -> None:
        """Pose every car part as the turntable shows it at `degrees`."""
        import drjit as dr  # noqa: PLC0415 - see mitsuba()

        for name, _, mesh in self.parts:
            vertices = dr.ravel(self.mi.Point3f(np.ascontiguousarray(meshes.turn(mesh, degrees)[0].T)))
            self.photo_params[f"{name}.vertex_positions"] = vertices
        self.photo_params.update()

    def screen_window(self, degrees: float, width: int, height: int, margin: int) -> tuple[int, int, int, int]:
        """Rows r0:r1 and columns c0:c1 of the frame that the turned car can cover (a pinhole projection
        of its vertices, as Mitsuba's perspective camera with a horizontal field of view makes it)."""
        studio = self.studio
        origin = np.array([0.0, studio.camera_height, studio.camera_distance])
        forward = np.array([0.0, studio.target_height, 0.0]) - origin
        forward /= np.linalg.norm(forward)
        left = np.cross([0.0, 1.0, 0.0], forward)
        left /= np.linalg.norm(left)
        up = np.cross(forward, left)
        points = np.concatenate([meshes.turn(mesh, degrees)[0] for _, _, mesh in self.parts]) - origin
        depth = points @ forward
        focal = width / 2 / np.tan(np.radians(studio.fov) / 2)
        xs = width / 2 - focal * (points @ left) / depth
        ys = height / 2 - focal * (points @ up) / depth
        r0, r1 = int(np.floor(ys.min())) - margin, int(np.ceil(ys.max())) + margin
        c0, c1 = int(np.floor(xs.min())) - margin, int(np.ceil(xs.max())) + margin
        return max(r0, 0), min(max(r1, 1), height), max(c0, 0), min(max(c1, 1), width)

    def car_shape_ids(self) -> set[int]:
        """Dr.Jit registry ids of the car's shapes in the photo scene (what a ray cast returns)."""
        ids = self.shape_ids()
        return {ids[name] for name, _, _ in self.parts}

    def shape_ids(self) -> dict[str, int]:
        if self._shape_ids is None:
            import drjit as dr  # noqa: PLC0415 - see mitsuba()

            self._shape_ids = {
                s.id(): int(dr.reinterpret_array(self.mi.UInt32, self.mi.ShapePtr(s))[0]) for s in self.photo.shapes()
            }
        return self._shape_ids
