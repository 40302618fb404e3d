"""Uploaded files, judged by decoding them: the one home of every upload endpoint's checks.

First bytes prove nothing: a PNG signature glued onto HTML passes a magic-number test, and a
48 KB PNG may declare 20000×20000 pixels that a browser then tries to allocate (a decompression
bomb in every operator's screen). So images are decoded with Pillow, their pixel count bounded
before any pixel is decoded, and what is stored (and later shown) is a fresh re-encoding of the
decoded pixels: trailing HTML, comments, EXIF (with its GPS position) and polyglot tails are gone.
PDFs are not rendered by us; they are checked for their header and trailer and always served as
attachments (`gridops.core.media`).

Callers: incident photos, approvals documents (images and PDFs), education imports (size only:
their content is parsed by the loaders). The ledger's notarisation takes a digest, never a file.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput, PayloadTooLarge, UnsupportedMedia

# Pillow format -> (content type, file extension, save options of the re-encoding)
IMAGE_FORMATS: dict[str, tuple[str, str, dict]] = {
    "JPEG": ("image/jpeg", ".jpg", {"quality": 90}),
    "PNG": ("image/png", ".png", {}),
    "WEBP": ("image/webp", ".webp", {"quality": 90}),
}
PDF = "application/pdf"
EXTENSIONS = {PDF: ".pdf", **{ctype: ext for ctype, ext, _ in IMAGE_FORMATS.values()}}
NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", PDF: "PDF"}


def max_pixels() -> int:
    """Largest image accepted, in pixels (a 24-megapixel phone photo fits; 400 MP does not)."""
    return int(getattr(settings, "GRIDOPS_UPLOAD_MAX_PIXELS", 40_000_000))


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed: the bytes to store (re-encoded for images) and what they are."""

    data: bytes
    content_type: str
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def require_size(upload, *, limit: int, field: str) -> None:
    """400 when there is no file or it is empty, 413 when it is over `limit` bytes."""
    if upload is None:
        raise InvalidInput("a file is required", field=field)
    if upload.size <= 0:
        raise InvalidInput("the file is empty", field=field)
    if upload.size > limit:
        raise PayloadTooLarge(f"the file is {upload.size} bytes; the limit is {limit}", field=field)


def check_upload(upload, *, limit: int, allowed: tuple[str, ...] | frozenset[str], field: str) -> CheckedUpload:
    """Read an upload and judge it by its content: a checked, storable file, or a 4xx on `field`."""
    require_size(upload, limit=limit, field=field)
    upload.seek(0)
    data = upload.read()
    return check_bytes(data, allowed=allowed, field=field)


def _refuse(allowed, field: str) -> UnsupportedMedia:
    kinds = ", ".join(NAMES.get(ctype, ctype) for ctype in sorted(allowed))
    return UnsupportedMedia(f"the file is not a readable {kinds} file", field=field)


def check_bytes(data: bytes, *, allowed, field: str) -> CheckedUpload:
    if data.startswith(b"%PDF-"):
        if PDF not in allowed or b"%%EOF" not in data[-1024:]:
            raise _refuse(allowed, field)
        return CheckedUpload(data=data, content_type=PDF)
    return _reencoded_image(data, allowed=allowed, field=field)


def _reencoded_image(data: bytes, *, allowed, field: str) -> CheckedUpload:
    limit = max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            if fmt not in IMAGE_FORMATS or IMAGE_FORMATS[fmt][0] not in allowed:
                raise _refuse(allowed, field)
            width, height = image.size
            if width * height > limit:  # decided from the header, before any pixel is decoded
                raise _too_many_pixels(width, height, limit, field)
            image.load()
            pixels = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PayloadTooLarge(f"the image declares more than {limit} pixels", field=field,
                              code="too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refuse(allowed, field) from None
    content_type, _, options = IMAGE_FORMATS[fmt]
    if fmt == "JPEG" and pixels.mode not in ("RGB", "L"):
        pixels = pixels.convert("RGB")
    elif fmt in ("PNG", "WEBP") and pixels.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        pixels = pixels.convert("RGBA")
    out = io.BytesIO()
    pixels.save(out, format=fmt, **options)
    return CheckedUpload(data=out.getvalue(), content_type=content_type, width=pixels.width, height=pixels.height)


def _too_many_pixels(width: int, height: int, limit: int, field: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"the image is {width}×{height} pixels; at most {limit} pixels are accepted",
                           field=field, code="too_many_pixels")
