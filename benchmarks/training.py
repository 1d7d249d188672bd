"""Training throughput: the real input pipeline (deterministic or not) vs in-memory tensors vs a Python generator.

Usage: python benchmarks/training.py [--height 128 --width 192 --images 64 --epochs 3]
All feed the same default U-Net in one process, so the ratios hold on a noisy machine. The
non-deterministic feed runs first: TensorFlow's op determinism, once on, stays on in a process.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import records  # noqa: E402  (benchmarks/records.py)
import tensorflow as tf  # noqa: E402
import yaml  # noqa: E402

from carvana_unet import augment, synthetic  # noqa: E402
from carvana_unet.input_pipeline import TrainingFeed  # noqa: E402
from carvana_unet.model.compiled import compile_unet  # noqa: E402
from carvana_unet.model.unet import PRESETS  # noqa: E402

# The project's own augmentation, as training applies it.
AUGMENTATION = yaml.safe_load((ROOT / "conf/base/parameters_augmentation.yml").read_text())["augmentation"]["steps"]
OPTIONS = {
    "mixed_precision": False,
    "seed": 0,
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "loss": {"bce_weight": 1.0, "dice_weight": 1.0},
}


def images_per_second(model, dataset, images: int, epochs: int, steps: int | None = None) -> float:
    """`dataset` is a tf.data.Dataset, or for the project's feed a function of the epoch count."""
    make = dataset if callable(dataset) else (lambda _: dataset)
    model.fit(make(1), epochs=1, steps_per_epoch=steps, verbose=0)  # warm-up: tracing, first allocation
    start = time.perf_counter()
    model.fit(make(epochs), epochs=epochs, steps_per_epoch=steps, verbose=0)
    return images * epochs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--height", type=int, default=128)
    parser.add_argument("--width", type=int, default=192)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--preset", default="cpu-small")
    parser.add_argument("--mixed-precision", action="store_true")
    args = parser.parse_args()

    data = synthetic.make_dataset(max(1, args.images // 16), 1, args.width, args.height, seed=1)
    ids = data.image_ids(data.train_cars)[: args.images]
    images, masks = synthetic.rendered_arrays(data, ids)
    rows = np.arange(len(ids))
    arch = PRESETS[args.preset]
    options = {**OPTIONS, "mixed_precision": args.mixed_precision}
    transform = augment.build_transform(AUGMENTATION, seed=0)

    def fresh_model(deterministic: bool = True):
        return compile_unet(arch, args.height, args.width, {**options, "deterministic": deterministic})

    def feed(deterministic: bool) -> TrainingFeed:
        return TrainingFeed(
            images, masks, rows, args.batch_size, augment.SeededAugmentation(transform, 0), deterministic=deterministic
        )

    in_memory = (
        tf.data.Dataset.from_tensor_slices((images.astype(np.float32) / 255, masks[..., None].astype(np.float32)))
        .batch(args.batch_size)
        .repeat()
        .prefetch(2)
    )

    def python_generator():  # the reference's style: per-sample augmentation in a Python loop
        while True:
            order = np.random.permutation(rows)
            for start in range(0, len(order), args.batch_size):
                batch = [augment.apply(transform, images[i], masks[i]) for i in order[start : start + args.batch_size]]
                yield (
                    np.stack([b[0] for b in batch]).astype(np.float32) / 255,
                    np.stack([b[1] for b in batch])[..., None].astype(np.float32),
                )

    reference = tf.data.Dataset.from_generator(
        python_generator,
        output_signature=(
            tf.TensorSpec((None, args.height, args.width, 3), tf.float32),
            tf.TensorSpec((None, args.height, args.width, 1), tf.float32),
        ),
    )

    steps = feed(True).steps_per_epoch
    nondeterministic = images_per_second(
        fresh_model(False), lambda n: feed(False).dataset(0, n), len(rows), args.epochs, steps
    )
    figures = {
        name: images_per_second(fresh_model(), dataset, len(rows), args.epochs, steps)
        for name, dataset in (
            ("in-memory, no augmentation", in_memory),
            ("real pipeline (cache + on-the-fly augmentation)", lambda n: feed(True).dataset(0, n)),
            ("reference-style Python generator", reference),
        )
    }
    figures["real pipeline, not deterministic"] = nondeterministic
    print(
        f"{args.preset} U-Net, {args.width}x{args.height}, batch {args.batch_size}, {len(rows)} images, "
        f"{args.epochs} epochs, devices: {[d.device_type for d in tf.config.list_logical_devices()]}"
    )
    for name, value in figures.items():
        print(f"  {name:50s} {value:8.1f} img/s")
    base = figures["in-memory, no augmentation"]
    real = figures["real pipeline (cache + on-the-fly augmentation)"]
    print(f"  real / in-memory      = {real / base:.2f} (target >= 0.85)")
    print(f"  deterministic / not deterministic = {real / nondeterministic:.2f} (target >= 0.9)")
    print(f"  real / reference-style = {real / figures['reference-style Python generator']:.2f}")
    records.write(
        "training",
        {**figures, "real_of_in_memory": real / base, "deterministic_of_not": real / nondeterministic},
        {"preset": args.preset, "size": f"{args.width}x{args.height}", "batch_size": args.batch_size},
    )


if __name__ == "__main__":
    main()
