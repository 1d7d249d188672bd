"""Draw docs/predict-strip.png: a photo, its mask, its cut-out and the car on a new background.

Usage, in the project after `make run`: python docs/predict_strip.py PHOTO [--background COLOUR_OR_IMAGE]
The three outputs come from `carvana-unet predict`, as a user gets them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def checkerboard(height: int, width: int, square: int = 32) -> np.ndarray:
    """Grey squares, as image editors show transparency."""
    rows, cols = np.indices((height, width)) // square
    return np.where(((rows + cols) % 2)[..., None] == 0, 205, 245).astype(np.uint8).repeat(3, axis=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("photo", type=Path)
    parser.add_argument("--background", default="#3a7bd5")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("predict-strip.png"))
    args = parser.parse_args()
    command = Path(sys.executable).with_name("carvana-unet")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([str(command), "predict", str(args.photo), out, "--background", args.background], check=True)
        stem = args.photo.stem
        photo = np.asarray(Image.open(args.photo).convert("RGB"))
        mask = np.asarray(Image.open(Path(out, "masks", f"{stem}.png")))
        cut = np.asarray(Image.open(Path(out, "cutouts", f"{stem}.png"))).astype(np.float32)
        composite = np.asarray(Image.open(Path(out, "composites", f"{stem}.jpg")))
    alpha = cut[..., 3:] / 255
    on_checks = (cut[..., :3] * alpha + checkerboard(*mask.shape) * (1 - alpha)).astype(np.uint8)
    panels = {
        "photo": photo,
        "masks/<name>.png": mask,
        "cutouts/<name>.png (transparent)": on_checks,
        f"composites/<name>.jpg ({args.background})": composite,
    }
    figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3))
    for axis, (title, pixels) in zip(axes, panels.items(), strict=True):
        axis.imshow(pixels, cmap="gray" if pixels.ndim == 2 else None)
        axis.set_title(title, fontsize=10)
        axis.axis("off")
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
