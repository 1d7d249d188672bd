"""A Keras 3 U-Net (Ronneberger et al., 2015) for one-channel segmentation."""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

# Named architectures. "reference-1024" is the Keras U-Net that reached Dice
# 0.9953 on Carvana: 1024x1024 input, 8 filters doubling over 7 poolings.
PRESETS: dict[str, dict[str, Any]] = {
    "cpu-small": {"depth": 4, "base_filters": 16, "normalization": "batch", "dropout": 0.0},
    "cpu-quality": {"depth": 5, "base_filters": 16, "normalization": "batch", "dropout": 0.0},
    "reference-1024": {
        "depth": 7,
        "base_filters": 8,
        "normalization": "batch",
        "dropout": 0.0,
        "height": 1024,
        "width": 1024,
    },
}
NORMALIZATIONS = ("batch", "group", "none")
GROUPS = 8  # group norm: at most this many groups of channels (fewer when a layer has fewer channels)


def conv_block(x: keras.KerasTensor, filters: int, normalization: str, dropout: float, name: str) -> keras.KerasTensor:
    """Two 3x3 convolutions, each followed by a normalization and ReLU.

    Batch-norm momentum 0.9 (not 0.99) lets the moving statistics settle within the few
    hundred steps a CPU run takes; with 0.99 validation Dice lags far behind training.
    Group norm does not depend on the batch, so it stays stable at batch 1 (large inputs, small GPUs).
    """
    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=normalization == "none", name=f"{name}_conv{i}")(x)
        if normalization == "batch":
            x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn{i}")(x)
        elif normalization == "group":
            x = layers.GroupNormalization(min(GROUPS, filters), name=f"{name}_gn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def build_unet(
    height: int,
    width: int,
    depth: int = 4,
    base_filters: int = 16,
    normalization: str = "batch",
    dropout: float = 0.0,
    channels: int = 3,
) -> keras.Model:
    """Encoder of `depth` poolings, a bottleneck, a mirrored decoder; sigmoid output of shape (H, W, 1)."""
    if depth < 1 or base_filters < 1:
        raise ValueError(f"depth and base_filters must be positive, got {depth} and {base_filters}")
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"model normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    step = 2**depth
    if height % step or width % step:
        example = f"{height // step * step or step}x{width // step * step or step}"
        raise ValueError(
            f"input {height}x{width} does not divide by 2**depth = {step}: choose a height and width that are "
            f"multiples of {step} (e.g. {example}) or a smaller depth"
        )
    inputs = keras.Input((height, width, channels), name="image")
    x, skips = inputs, []
    for level in range(depth):
        x = conv_block(x, base_filters * 2**level, normalization, 0.0, f"down{level}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{level}")(x)
    x = conv_block(x, base_filters * 2**depth, normalization, dropout, "bottleneck")
    for level in reversed(range(depth)):
        x = layers.UpSampling2D(2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = conv_block(x, base_filters * 2**level, normalization, 0.0, f"decode{level}")
    # float32 output keeps the sigmoid and the loss stable under mixed precision.
    outputs = layers.Conv2D(1, 1, activation="sigmoid", dtype="float32", name="mask")(x)
    return keras.Model(inputs, outputs, name=f"unet_d{depth}_f{base_filters}")


def architecture(preset: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A preset's settings with any non-null overrides applied."""
    if preset not in PRESETS:
        raise ValueError(f"unknown model preset {preset!r}; choose one of {sorted(PRESETS)}")
    return {**PRESETS[preset], **{k: v for k, v in (overrides or {}).items() if v is not None}}
