"""Real (decodable) image bytes for upload tests, and the hostile files of issue 11.

Built with Pillow and zlib at import, so no binary fixture is checked in.
"""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

SCRIPT_HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def image_bytes(fmt: str, size: tuple[int, int] = (8, 6), color=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_declaring(width: int, height: int, *, body: bytes | None = None) -> bytes:
    """A PNG whose IHDR declares width×height 1-bit grey pixels.

    With `body` None the pixel data is real: all-zero rows, which deflate ~1000:1, so a
    20000×20000 image is about 48 KB on the wire and 400 million pixels once decoded (a bomb).
    With `body` given, the IHDR is followed by those bytes instead (a PNG header glued onto HTML).
    """
    header = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
    if body is not None:
        return header + body
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return header + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


JPEG = image_bytes("JPEG")
PNG = image_bytes("PNG")
WEBP = image_bytes("WEBP")
BOMB_PNG = png_declaring(20000, 20000)
PNG_HEADER_THEN_HTML = png_declaring(64, 64, body=SCRIPT_HTML)
PNG_WITH_HTML_TAIL = PNG + SCRIPT_HTML  # a valid image with a polyglot tail: accepted, tail dropped
