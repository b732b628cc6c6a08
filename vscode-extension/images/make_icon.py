"""Draws images/icon.png (128 x 128): two token columns joined by attention lines, as in the panel.
Standard library only (zlib + struct), so it runs anywhere: python3 images/make_icon.py"""

import struct
import zlib
from pathlib import Path

N = 128
BG, TOK, LINE = (30, 41, 59), (226, 232, 240), (56, 189, 248)
px = [[BG for _ in range(N)] for _ in range(N)]


def blend(x: int, y: int, c: tuple[int, int, int], a: float) -> None:
    if 0 <= x < N and 0 <= y < N:
        px[y][x] = tuple(round(p * (1 - a) + q * a) for p, q in zip(px[y][x], c))  # type: ignore[assignment]


rows = [22, 44, 66, 88, 108]
weights = {(0, 0): 0.9, (1, 0): 0.5, (1, 2): 0.8, (2, 1): 0.6, (3, 3): 0.9, (3, 1): 0.35, (4, 2): 0.7, (2, 4): 0.4}
for (i, j), w in weights.items():  # lines from the left column (x=34) to the right (x=94)
    for s in range(400):
        t = s / 399
        x, y = 34 + 60 * t, rows[i] + (rows[j] - rows[i]) * t
        for dx in (0, 1):
            for dy in (0, 1):
                blend(int(x) + dx, int(y) + dy, LINE, w)
for y0 in rows:  # the tokens: rounded bars
    for x0 in (10, 96):
        for y in range(y0 - 4, y0 + 5):
            for x in range(x0, x0 + 22):
                blend(x, y, TOK, 1.0)
raw = b"".join(b"\0" + bytes(v for p in row for v in p) for row in px)


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", N, N, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
Path(__file__).with_name("icon.png").write_bytes(png)
