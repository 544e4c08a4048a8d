"""A rendered pixel buffer as PNG bytes: smaller and about twice as fast as the default writer.

matplotlib's `print_png` goes through Pillow, which writes RGBA and tries every PNG row
filter on every row. A chart is mostly flat colour on an opaque background: unfiltered rows
deflate better than filtered ones, and an opaque image needs no alpha channel. Measured on a
1y daily chart: 64 KB in ~16 ms before, 54 KB in ~8 ms here. The pixels are the same.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVEL = 6  # zlib level: 3 is faster but larger than the old writer's files, 7+ saves ~1%
RGB, RGBA = 2, 6  # PNG colour types


def encode(rgba: npt.NDArray[np.uint8], text: Mapping[str, str] | None = None) -> bytes:
    """An 8-bit PNG of an (height, width, 4) RGBA array; RGB when every pixel is opaque."""
    height, width, depth = rgba.shape
    if depth != 4:
        raise ValueError("encode takes an RGBA array")
    opaque = bool((rgba[..., 3] == 255).all())
    channels = 3 if opaque else 4
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 0] = 0  # each row starts with its filter type: 0, none
    rows[:, 1:] = rgba[..., :channels].reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, RGB if opaque else RGBA, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header)]
    for key, value in (text or {}).items():
        chunks.append(_chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1")))
    chunks.append(_chunk(b"IDAT", zlib.compress(rows.data, LEVEL)))
    chunks.append(_chunk(b"IEND", b""))
    return SIGNATURE + b"".join(chunks)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
