"""The U-Net compiled for training: optimizer, loss, metric and precision from the training options.

No TensorFlow import at module level, so benchmarks can time the same model on another Keras backend.
"""

from __future__ import annotations

from typing import Any

import keras

from carvana_unet.model.losses import BceDiceLoss, dice_coefficient
from carvana_unet.model.unet import build_unet


def compile_unet(architecture: dict[str, Any], height: int, width: int, options: dict[str, Any]) -> keras.Model:
    keras.mixed_precision.set_global_policy("mixed_float16" if options["mixed_precision"] else "float32")
    keras.utils.set_random_seed(options["seed"])
    if options.get("deterministic", True) and keras.backend.backend() == "tensorflow":
        # Same speed on CPU here; on GPU some kernels get slower or refuse to run (they say which).
        import tensorflow as tf  # noqa: PLC0415 (only here: the model runs on any Keras backend)

        tf.config.experimental.enable_op_determinism()
    model = build_unet(
        height, width, **{k: architecture[k] for k in ("depth", "base_filters", "normalization", "dropout")}
    )
    config = {"learning_rate": options["learning_rate"]}
    if options.get("gradient_accumulation_steps", 1) > 1:
        # Weights move once every N batches, by the mean gradient: batch 1 behaves like batch N (BatchNorm aside).
        config["gradient_accumulation_steps"] = options["gradient_accumulation_steps"]
    if options.get("gradient_clip_norm"):
        # A rare batch's outsized gradient can throw the weights far off: the training loss jumps and takes
        # epochs to recover (the quality runs of seeds 7 and 8 without it).
        config["global_clipnorm"] = options["gradient_clip_norm"]
    optimizer = keras.optimizers.get({"class_name": options["optimizer"], "config": config})
    loss = BceDiceLoss(**options["loss"])  # bce_weight, dice_weight and optionally edge_weight
    # XLA ("auto" turns it on under TensorFlow) trains slower on CPU; a GPU user may switch it on.
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=[keras.metrics.MeanMetricWrapper(dice_coefficient, name="dice")],
        jit_compile=options.get("jit_compile", False),
    )
    return model
