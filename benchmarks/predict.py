"""Predict throughput on full-size photos vs the bare model, and the served endpoint's latency.

Usage: python benchmarks/predict.py --model data/06_models/unet.keras [--refiner data/06_models/refiner.keras]
                                   [--images 48 --requests 40] [--masks-only]
1. The predict pipeline's own code (read JPEG at full and model size, predict, [refine,] full-size mask,
   cut-out, write both PNGs) against the bare model on pre-resized tensors (`model.predict` or a
   `predict_on_batch` loop, whichever ran faster: benchmarks/timing.py says why), in one process, best of
   alternating rounds, with the CPU time a photo (all threads), which moves less with the machine's load
   than throughput does, and against the model reading its own JPEGs (decoded straight to its input in the
   same worker threads; no pipeline can beat it on any CPU). With --refiner, the refinement stage is on,
   with conf/base/parameters_refinement.yml's settings; with --masks-only, predict writes masks only
   (`predict.cutouts: false`).
   Then each step's cost for one photo, and what an all-transparent full-size RGBA PNG costs to encode:
   the floor under any full-size cut-out. Predict also runs with the U-Net's maps looked up instead of
   predicted (`recorded`): the same masks and cut-outs (and refinement), so its CPU a photo is everything
   predict does besides the model, and the cores over bare's CPU plus that is the most predict can reach
   with every core busy.
2. `mlflow models serve` on 127.0.0.1 with the same model: latency p50/p95 of one full-size JPEG, one
   request at a time, then the throughput of 4 concurrent clients. Bounded in requests and time;
   --requests 0 leaves the server out.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import mlflow.pyfunc  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402

from carvana_unet import imaging, synthetic  # noqa: E402
from carvana_unet.model.saving import load_model  # noqa: E402
from carvana_unet.pipelines.training.params import RefinementParams  # noqa: E402
from carvana_unet.png import encode_png  # noqa: E402
from carvana_unet.predictions import encode, predict_stream, write_predictions  # noqa: E402
from carvana_unet.segmenter import Photo, Segmenter, cutout_box, open_photo  # noqa: E402
from carvana_unet.serving import PackagedModel, pyfunc_arguments  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import records  # noqa: E402  (benchmarks/records.py)
import served  # noqa: E402  (the server helper the serving test uses)
from timing import Timed, alternating, bare_model, baseline, print_bare, print_reading, reading_model, timed  # noqa: E402  (benchmarks/timing.py)

FLOOR = "an all-transparent RGBA PNG"  # what any full-size cut-out costs at least, however small the car


def write_photos(folder: Path, count: int, width: int, height: int) -> list[Path]:
    data = synthetic.make_dataset(max(1, count // 16) + 1, 1, width, height, seed=11)
    synthetic.write_images(
        data, data.image_ids(data.train_cars)[:count], folder, "test"
    )  # photos only, as test photos are
    return sorted((folder / "test").glob("*.jpg"))


@dataclass(frozen=True)
class Recorded(Segmenter):
    """A segmenter whose U-Net maps are looked up by the model input they were made from: predict's own work
    at the cost of a dictionary lookup a photo, with the U-Net's own masks, bands and cut-outs."""

    maps: dict[bytes, np.ndarray] = field(default_factory=dict)

    def probabilities(self, photos: list[Photo]) -> np.ndarray:
        return np.stack([self.maps[p.model_input.tobytes()] for p in photos]) if photos else super().probabilities([])


def recorded(segmenter: Segmenter, photos: list[Path]) -> Recorded:
    """`segmenter` with the maps of `photos` predicted once, ahead."""
    maps = {}
    for path in photos:
        read = segmenter.read(path, pixels=False)
        maps[read.model_input.tobytes()] = segmenter.probabilities([read])[0]
    return Recorded(**{f.name: getattr(segmenter, f.name) for f in fields(Segmenter)}, maps=maps)


def end_to_end(
    segmenter: Segmenter, photos: list[Path], out: Path, batch_size: int, workers: int, cutouts: bool
) -> tuple[float, float]:
    shutil.rmtree(out, ignore_errors=True)
    loaders = {p.name: p.read_bytes for p in photos}

    def run() -> None:
        stream = predict_stream(segmenter, loaders, batch_size, workers, cutouts=cutouts)
        report = write_predictions(out, stream, workers)
        assert len(report["written"]) == len(photos), report

    return timed(run, len(photos))


def stage_costs(segmenter: Segmenter, photo_file: Path, batch_size: int, repeats: int = 5) -> dict[str, float]:
    """Milliseconds per photo of each step predict takes, one at a time on one thread (the model: its share
    of a batch, on all cores)."""
    height, width = segmenter.model.input_shape[1:3]
    read = segmenter.read(photo_file)
    photo = read.pixels
    batch = np.repeat(read.model_input[None].astype(np.float32) / 255, batch_size, axis=0)
    probability = segmenter.model.predict_on_batch(batch)[0, ..., 0]
    mask, full = segmenter.masks([read])[0], photo.shape[:2]
    restored = imaging.to_original_size(probability, *full, "stretch")

    def png(pixels: np.ndarray) -> None:
        encode(pixels, ".png")

    def cutout_png() -> None:
        car, corner = cutout_box(photo, mask)
        encode_png(car, full, corner)

    steps = {
        "read: full-size decode": lambda: open_photo(photo_file),
        "read: model input (scaled decode)": lambda: imaging.decode_to_model_size(
            photo_file.read_bytes(), height, width, "stretch"
        ),
        "model": lambda: segmenter.model.predict_on_batch(batch),
        "restore to full size + threshold": lambda: imaging.to_original_size(probability, *full, "stretch") > 0.5,
        "mask PNG": lambda: png(mask * np.uint8(255)),
        "cut-out PNG (RGBA, car's box)": cutout_png,
        FLOOR: lambda: encode_png(np.zeros((1, 1, 4), np.uint8), full),  # as an empty mask's cut-out
    }
    if segmenter.refiner is not None:
        steps["refine (the band, full size)"] = lambda: segmenter.refiner.refine(photo, restored)
    costs = {}
    with imaging.opencv_in_calling_threads():  # as predict runs them
        for name, run in steps.items():
            run()
            start = time.perf_counter()
            for _ in range(repeats):
                run()
            costs[name] = (time.perf_counter() - start) / repeats * 1000 / (batch_size if name == "model" else 1)
    return costs


def print_costs(costs: dict[str, float]) -> None:
    steps = {name: ms for name, ms in costs.items() if name != FLOOR}
    print("  where a photo's time goes, ms on one thread (the model: on all cores, per image of a batch):")
    for name, ms in steps.items():
        print(f"    {name:<34} {ms:7.1f}")
    print(f"    {'all but the model':<34} {sum(steps.values()) - steps['model']:7.1f}")
    print(f"    {'(an all-transparent RGBA PNG)':<34} {costs[FLOOR]:7.1f}  the least a full-size cut-out costs")


def timed_request(url: str, body: bytes) -> float:
    start = time.perf_counter()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
    return time.perf_counter() - start


def serve_and_load(segmenter: Segmenter, scratch: Path, photo: Path, requests: int) -> tuple[np.ndarray, float]:
    """Milliseconds of each of `requests` single requests, then requests a second from 4 concurrent clients."""
    model_dir, files = scratch / "pyfunc", scratch / "files"
    files.mkdir()
    packaged = PackagedModel(segmenter.model, 0.5, "stretch", False, {}, segmenter.refiner)
    mlflow.pyfunc.save_model(path=str(model_dir), **pyfunc_arguments(packaged, files))
    server, base = served.serve(str(model_dir))
    try:
        url, body = f"{base}/invocations", served.invocation(photo)
        timed_request(url, body)  # warm-up
        latencies = np.array([timed_request(url, body) for _ in range(requests)]) * 1000
        start = time.perf_counter()
        with ThreadPoolExecutor(4) as clients:
            list(clients.map(lambda _: timed_request(url, body), range(requests)))
        return latencies, requests / (time.perf_counter() - start)
    finally:
        served.stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--refiner", type=Path, help="the refiner's .keras file: refinement on")
    parser.add_argument("--masks-only", action="store_true", help="predict with cutouts: false")
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--width", type=int, default=1918)
    parser.add_argument("--height", type=int, default=1280)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="per latency and throughput phase; 0: no server")
    args = parser.parse_args()
    model = load_model(args.model)
    settings = yaml.safe_load(Path("conf/base/parameters_refinement.yml").read_text())["refinement"]
    refiner = RefinementParams(**settings).refiner(load_model(args.refiner)) if args.refiner else None
    segmenter = Segmenter(model, 0.5, refiner=refiner)
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        photos = write_photos(scratch / "raw", args.images, args.width, args.height)
        tensors = np.stack([segmenter.read(p).model_input for p in photos]) / np.float32(255)
        cutouts = not args.masks_only

        def predict_with(chosen: Segmenter) -> Callable[[], Timed]:
            return lambda: end_to_end(chosen, photos, scratch / "out", args.batch_size, args.workers, cutouts)

        jpegs = [p.read_bytes() for p in photos]
        keras_predict, predict_loop, reading, (full, full_cpu), (free_rate, free_cpu) = alternating(
            [
                *bare_model(model, tensors, args.batch_size),
                reading_model(model, jpegs, args.batch_size, args.workers),
                predict_with(segmenter),
                predict_with(recorded(segmenter, photos)),
            ],
            args.rounds,
        )
        bare, bare_cpu = baseline(keras_predict, predict_loop)
        height, width = model.input_shape[1:3]
        print(
            f"{len(photos)} photos {args.width}x{args.height}, model input {width}x{height}, batch "
            f"{args.batch_size}, {args.workers} worker threads, {os.cpu_count()} CPUs, best of {args.rounds} rounds"
        )
        print_bare(keras_predict, predict_loop)
        print_reading(reading)
        refined = ", refine" if refiner else ""
        written = "full-size mask" if args.masks_only else "full-size mask + cut-out"
        print(f"  predict: read, predict{refined}, {written}, write {full:7.2f} img/s, CPU {full_cpu:5.1f} ms a photo")
        print(
            f"  predict / bare = {full / bare:.2f} (target >= 0.6); bare's share of its CPU {bare_cpu / full_cpu:.2f}; "
            f"predict / the reading model = {full / reading[0]:.2f}"
        )
        cores = len(os.sched_getaffinity(0))
        most = cores * 1000 / (bare_cpu + free_cpu)  # img/s with every core busy on the model and the rest
        print(
            f"  predict with the U-Net's maps looked up, not predicted: {free_rate:7.2f} img/s, CPU "
            f"{free_cpu:5.1f} ms a photo;\n  so predict with the U-Net, all {cores} cores busy: at most "
            f"{most:.1f} img/s = {most / bare:.2f} of bare"
        )
        print_costs(stage_costs(segmenter, photos[0], args.batch_size))
        figures = {
            "bare_img_s": bare,
            "reading_img_s": reading[0],
            "predict_img_s": full,
            "predict_of_bare": full / bare,
            "predict_cpu_ms": full_cpu,
            "most_of_bare": most / bare,
        }
        if args.requests:
            latencies, throughput = serve_and_load(segmenter, scratch, photos[0], args.requests)
            print(
                f"served endpoint, one {args.width}x{args.height} JPEG per request, {args.requests} requests a phase:"
            )
            print(f"  latency p50 {np.percentile(latencies, 50):6.0f} ms, p95 {np.percentile(latencies, 95):6.0f} ms")
            print(f"  4 concurrent clients: {throughput:.2f} requests/s")
            figures |= {
                "served_p50_ms": float(np.percentile(latencies, 50)),
                "served_p95_ms": float(np.percentile(latencies, 95)),
                "served_requests_s": throughput,
            }
    config = {
        "refiner": bool(refiner),
        "cutouts": cutouts,
        "images": len(photos),
        "size": f"{args.width}x{args.height}",
    }
    records.write("predict", figures, config)


if __name__ == "__main__":
    main()
