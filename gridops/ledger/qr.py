"""QR codes for stall signs: the vendor's public page URL, drawn by segno (SVG or PNG)."""
from __future__ import annotations

import io

import segno
from django.urls import reverse

from gridops.core.errors import InvalidInput

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


def vendor_page_url(request, vendor) -> str:
    return request.build_absolute_uri(reverse("ledger:vendor-page", args=[vendor.code]))


def vendor_qr(request, vendor, fmt: str) -> tuple[bytes, str]:
    if fmt not in FORMATS:
        raise InvalidInput("format must be svg or png", field="format")
    code = segno.make(vendor_page_url(request, vendor), error="m")
    out = io.BytesIO()
    if fmt == "svg":
        code.save(out, kind="svg", scale=6, border=2, title=vendor.name)
    else:
        code.save(out, kind="png", scale=8, border=2)
    return out.getvalue(), FORMATS[fmt]
