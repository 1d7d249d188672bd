"""Training and prediction speed of the reference-1024 U-Net, with and without mixed precision.

Usage: python benchmarks/gpu.py [--size 1024 --batch-size 2 --steps 20]   (benchmarks/gpu.sh sets up a GPU box)
Prints images/s for training (float32 and mixed_float16) and prediction, peak GPU memory, and the
time the reference's 30 epochs x 5,088 images would take next to its 2 days (about 0.9 images/s).
Runs on CPU too (tiny sizes only: the tests do), where it prints no GPU memory.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from carvana_unet import synthetic  # noqa: E402
from carvana_unet.model.unet import architecture  # noqa: E402
from carvana_unet.training import compile_unet  # noqa: E402

REFERENCE_IMAGES, REFERENCE_EPOCHS, REFERENCE_DAYS = 5088, 30, 2.0
OPTIONS = {
    "seed": 0,
    "optimizer": "adam",
    "learning_rate": 1e-4,
    "loss": {"bce_weight": 1.0, "dice_weight": 1.0},
    "deterministic": False,
}  # speed, not reproducibility: let the GPU pick its fastest kernels


def batches(size: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    data = synthetic.make_dataset(1, 1, width=size, height=size, seed=3)
    ids = data.image_ids(data.train_cars)[:batch_size]
    images = np.stack([data.photo(i) for i in ids]).astype(np.float32) / 255
    return images, np.stack([data.mask(i) for i in ids])[..., None].astype(np.float32)


def peak_gpu_memory_gib() -> float | None:
    if not tf.config.list_physical_devices("GPU"):
        return None
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**30


def reset_gpu_memory() -> None:
    if tf.config.list_physical_devices("GPU"):
        tf.config.experimental.reset_memory_stats("GPU:0")


def timed(step, steps: int) -> float:
    step()  # warm-up: tracing, autotuning, allocation
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--preset", default="reference-1024")
    args = parser.parse_args(argv)
    images, masks = batches(args.size, args.batch_size)
    arch = architecture(args.preset)
    devices = [d.name for d in tf.config.list_logical_devices() if d.device_type != "CPU"] or ["CPU only"]
    print(
        f"{args.preset} U-Net at {args.size}x{args.size}, batch {args.batch_size}, {args.steps} timed steps; "
        f"devices: {devices}"
    )
    figures: dict[str, float] = {}
    for precision in ("float32", "mixed_float16"):
        reset_gpu_memory()
        model = compile_unet(arch, args.size, args.size, {**OPTIONS, "mixed_precision": precision != "float32"})
        seconds = timed(lambda model=model: model.train_on_batch(images, masks), args.steps)
        figures[f"train {precision}"] = args.steps * args.batch_size / seconds
        peak = peak_gpu_memory_gib()
        memory = f", peak GPU memory {peak:.1f} GiB" if peak is not None else ""
        print(f"  training, {precision:<13} {figures[f'train {precision}']:8.2f} img/s{memory}")
        if precision == "mixed_float16":
            seconds = timed(lambda model=model: model.predict_on_batch(images), args.steps)
            figures["predict mixed_float16"] = args.steps * args.batch_size / seconds
            print(f"  prediction, {precision:<11} {figures['predict mixed_float16']:8.2f} img/s")
    keras.mixed_precision.set_global_policy("float32")
    best = max(figures["train float32"], figures["train mixed_float16"])
    hours = REFERENCE_EPOCHS * REFERENCE_IMAGES / best / 3600
    print(
        f"  the reference's {REFERENCE_EPOCHS} epochs x {REFERENCE_IMAGES} images at the faster rate: "
        f"{hours:.1f} h (the reference: {REFERENCE_DAYS * 24:.0f} h, about 0.9 img/s)"
    )
    return figures


if __name__ == "__main__":
    main()
