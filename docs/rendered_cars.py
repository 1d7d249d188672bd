"""Draw docs/rendered-cars.png: rendered training photos of a few cars, two views each.

Usage, in the project after `make run` (or `kedro run --pipelines generate`):
python docs/rendered_cars.py [RAW_DIR] [--cars 4] [--views 2 7]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image


def contact_sheet(raw_dir: Path, cars: int, views: list[int], width: int = 480) -> Image.Image:
    """One row per car, one column per view, each photo scaled to `width` pixels across."""
    car_ids = sorted({p.stem.rsplit("_", 1)[0] for p in (raw_dir / "train").glob("*.jpg")})[:cars]
    rows = []
    for car_id in car_ids:
        tiles = []
        for view in views:
            photo = Image.open(raw_dir / "train" / f"{car_id}_{view:02d}.jpg").convert("RGB")
            tiles.append(np.asarray(photo.resize((width, round(photo.height * width / photo.width)), Image.LANCZOS)))
        rows.append(np.concatenate(tiles, axis=1))
    return Image.fromarray(np.concatenate(rows, axis=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("raw_dir", type=Path, nargs="?", default=Path("data/01_raw/synthetic"))
    parser.add_argument("--cars", type=int, default=4)
    parser.add_argument("--views", type=int, nargs="+", default=[2, 7])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "rendered-cars.png")
    args = parser.parse_args()
    contact_sheet(args.raw_dir, args.cars, args.views).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
