"""PNG files written fast: numpy's "up" filter and ISA-L's deflate, no Kedro, no image library.

On a CPU, encoding full-size PNGs, not the model, bounded predict's throughput: libpng (OpenCV's)
at zlib level 1 takes about 28 ms for a 1918x1280 RGBA cut-out; this takes about 5 ms for a file
of about the same size, a little less when only the car's box is given. PNG allows any deflate
stream, so every decoder reads these files.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from isal import isal_zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type: grey, RGB, RGBA
UP = 2  # PNG filter type 2: each byte minus the one above it; cheap, and runs of equal rows become zeros
LEVEL = 1  # ISA-L's levels are 0-3; above 1 the files barely shrink


def encode_png(pixels: np.ndarray, size: tuple[int, int] | None = None, at: tuple[int, int] = (0, 0)) -> bytes:
    """PNG bytes of 8-bit grey (H, W) or (H, W, 1), RGB (H, W, 3) or RGBA (H, W, 4) pixels.

    With `size` (height, width), the image is that big and all zeros but for `pixels`, whose top-left
    corner sits at `at` (row, column): a cut-out is filtered only within its car's box, and the zeros
    around it are only compressed.
    """
    box_h, box_w = pixels.shape[:2]
    height, width = size or (box_h, box_w)
    top, left = at
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3) or channels not in COLOUR_TYPES or not pixels.size:
        raise ValueError(f"PNG needs non-empty uint8 grey, RGB or RGBA pixels, not {pixels.dtype} {pixels.shape}")
    if not (0 <= top <= height - box_h and 0 <= left <= width - box_w):
        raise ValueError(f"pixels {pixels.shape[:2]} at {at} do not fit in a {height}x{width} image")
    rows = np.ascontiguousarray(pixels).reshape(box_h, box_w * channels)
    shape = (height, 1 + width * channels)
    # Zeros only where a box leaves some around it: a whole image overwrites every byte.
    filtered = np.empty(shape, np.uint8) if (box_h, box_w) == (height, width) else np.zeros(shape, np.uint8)
    filtered[:, 0] = UP
    box = filtered[top : top + box_h + 1, 1 + left * channels : 1 + (left + box_w) * channels]
    box[0] = rows[0]  # the row above is zeros: above the image or outside the box
    np.subtract(rows[1:], rows[:-1], out=box[1:box_h])  # modulo 256, as PNG defines it
    if len(box) > box_h:
        np.negative(rows[-1], out=box[box_h])  # the row below the box: zeros minus its last row
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join(
        [SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", isal_zlib.compress(filtered, LEVEL)), _chunk(b"IEND", b"")]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))
