"""PNG files written fast: numpy's "up" filter and ISA-L's deflate, no Kedro, no image library.

On a CPU, encoding full-size PNGs, not the model, bounded predict's throughput: libpng (OpenCV's)
at zlib level 1 takes about 28 ms for a 1918x1280 RGBA cut-out; this takes about 5 ms for a file
of about the same size. PNG allows any deflate stream, so every decoder reads these files.
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


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of 8-bit grey (H, W) or (H, W, 1), RGB (H, W, 3) or RGBA (H, W, 4) pixels."""
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3) or channels not in COLOUR_TYPES or not pixels.size:
        raise ValueError(f"PNG needs non-empty uint8 grey, RGB or RGBA pixels, not {pixels.dtype} {pixels.shape}")
    rows = np.ascontiguousarray(pixels).reshape(height, width * channels)
    filtered = np.empty((height, 1 + width * channels), np.uint8)
    filtered[:, 0] = UP
    filtered[0, 1:] = rows[0]  # the row above the first is all zeros
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # modulo 256, as PNG defines it
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join(
        [SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", isal_zlib.compress(filtered, LEVEL)), _chunk(b"IEND", b"")]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))
