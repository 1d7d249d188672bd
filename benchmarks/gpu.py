"""Training and prediction speed of the reference-1024 U-Net, with and without mixed precision.

Usage: python benchmarks/gpu.py [--size 1024 --batch-size 2 --steps 20]   (benchmarks/gpu.sh sets up a GPU box)
Prints images/s for training (float32 and mixed_float16) and prediction, peak GPU memory, and the
time the reference's 30 epochs x 5,088 images would take next to its 2 days (about 0.9 images/s).
Runs on CPU too (tiny sizes only: the tests do), where it prints no GPU memory.
The model is plain Keras 3, so KERAS_BACKEND=jax (or torch) times it where TensorFlow's GPU build is
not installed; the project trains on TensorFlow, so say which backend gave a figure.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import records  # noqa: E402  (benchmarks/records.py)

from carvana_unet import synthetic  # noqa: E402
from carvana_unet.model.compiled import compile_unet  # noqa: E402
from carvana_unet.model.unet import architecture  # noqa: E402

REFERENCE_IMAGES, REFERENCE_EPOCHS, REFERENCE_DAYS = 5088, 30, 2.0
TEST_IMAGES = 100_064
OPTIONS = {
    "seed": 0,
    "optimizer": "adam",
    "learning_rate": 1e-4,
    "loss": {"bce_weight": 1.0, "dice_weight": 1.0},
    "deterministic": False,
    "jit_compile": "auto",
}  # speed, not reproducibility: the fastest kernels, XLA where Keras would use it on that device


def batches(height: int, width: int, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    data = synthetic.make_dataset(1, 1, width=width, height=height, seed=3)
    ids = data.image_ids(data.train_cars)[:batch_size]
    photos, masks = synthetic.rendered_arrays(data, ids)
    return photos.astype(np.float32) / 255, masks[..., None].astype(np.float32)


def accelerators() -> list[str]:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # noqa: PLC0415 (each backend's own device API)

        return [d.name for d in tf.config.list_logical_devices() if d.device_type != "CPU"]
    if backend == "jax":
        import jax  # noqa: PLC0415

        return [d.device_kind for d in jax.devices() if d.platform != "cpu"]
    import torch  # noqa: PLC0415

    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


def reset_peak_memory() -> None:
    """TensorFlow and PyTorch reset their peak; JAX cannot, so main runs the leaner precision first."""
    if not accelerators():
        return
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # noqa: PLC0415

        tf.config.experimental.reset_memory_stats("GPU:0")
    elif keras.backend.backend() == "torch":
        import torch  # noqa: PLC0415

        torch.cuda.reset_peak_memory_stats()


def peak_memory_gib() -> float | None:
    if not accelerators():
        return None
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # noqa: PLC0415

        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**30
    if keras.backend.backend() == "jax":
        import jax  # noqa: PLC0415

        return jax.devices()[0].memory_stats()["peak_bytes_in_use"] / 2**30
    import torch  # noqa: PLC0415

    return torch.cuda.max_memory_allocated() / 2**30


def timed(step, steps: int) -> float:
    step()  # warm-up: tracing, autotuning, allocation
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024, help="input height")
    parser.add_argument("--width", type=int, help="input width, if not --size (Kaggle's photos: 1280x1918)")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--preset", default="reference-1024")
    parser.add_argument("--results", type=Path, default=records.RESULTS, help="where its record goes")
    args = parser.parse_args(argv)
    height, width = args.size, args.width or args.size
    images, masks = batches(height, width, args.batch_size)
    arch = architecture(args.preset)
    print(
        f"{args.preset} U-Net at {height}x{width}, batch {args.batch_size}, {args.steps} timed steps; "
        f"Keras {keras.__version__} on {keras.backend.backend()}, devices: {accelerators() or ['CPU only']}"
    )
    figures: dict[str, float] = {}
    for precision in ("mixed_float16", "float32"):  # the leaner first: JAX's peak only grows
        reset_peak_memory()
        model = compile_unet(arch, height, width, {**OPTIONS, "mixed_precision": precision != "float32"})
        seconds = timed(lambda model=model: model.train_on_batch(images, masks), args.steps)
        figures[f"train {precision}"] = args.steps * args.batch_size / seconds
        peak = peak_memory_gib()
        memory = f", peak GPU memory {peak:.1f} GiB" if peak is not None else ""
        print(f"  training, {precision:<13} {figures[f'train {precision}']:8.2f} img/s{memory}")
        if precision == "mixed_float16":
            seconds = timed(lambda model=model: model.predict_on_batch(images), args.steps)
            figures["predict mixed_float16"] = args.steps * args.batch_size / seconds
            hours = TEST_IMAGES / figures["predict mixed_float16"] / 3600
            print(
                f"  prediction, {precision:<11} {figures['predict mixed_float16']:8.2f} img/s "
                f"(the model alone on Kaggle's {TEST_IMAGES:,} test images: {hours:.1f} h)"
            )
    keras.mixed_precision.set_global_policy("float32")
    best = max(figures["train float32"], figures["train mixed_float16"])
    hours = REFERENCE_EPOCHS * REFERENCE_IMAGES / best / 3600
    print(
        f"  the reference's {REFERENCE_EPOCHS} epochs x {REFERENCE_IMAGES} images at the faster rate: "
        f"{hours:.1f} h (the reference: {REFERENCE_DAYS * 24:.0f} h, about 0.9 img/s)"
    )
    config = {"preset": args.preset, "size": f"{height}x{width}", "batch_size": args.batch_size}
    records.write("gpu", {**figures, "devices": ", ".join(accelerators()) or "CPU only"}, config, args.results)
    return figures


if __name__ == "__main__":
    main()
