"""Serving uploaded media: only what the API links, with headers that keep a browser from
treating a file as anything but an image or a download.

Only incident photos are served (the API and Open311's `media_url` link them; their names carry
64 bits of their digest). Approvals documents (identity card scans) are never served from
/media/: 404 like any unknown file. Every answer carries `X-Content-Type-Options: nosniff`, a
`Content-Disposition` (inline for the re-encoded images, attachment for anything else) and a
sandboxing Content-Security-Policy, so even a file that slipped past `core.uploads` cannot run.

In production (GRIDOPS_MEDIA_ACCEL_REDIRECT set, e.g. "/protected-media/") the web server sends
the bytes: the answer is an empty response with `X-Accel-Redirect` to nginx's `internal`
location aliasing MEDIA_ROOT, so no Python worker streams files. See the README.
"""
from __future__ import annotations

import mimetypes
import posixpath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpResponse
from django.utils._os import safe_join
from django.views.decorators.http import require_safe

SERVED_PREFIXES = ("incidents/",)
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
SANDBOX = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _headers(response: HttpResponse, content_type: str, name: str) -> HttpResponse:
    disposition = "inline" if content_type in INLINE_TYPES else "attachment"
    response["Content-Type"] = content_type
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_safe
def serve_media(request, path: str) -> HttpResponse:
    path = posixpath.normpath(path).lstrip("/")
    if path.startswith("..") or not path.startswith(SERVED_PREFIXES):
        raise Http404("no such file")
    try:
        full = safe_join(str(settings.MEDIA_ROOT), path)
    except SuspiciousFileOperation:  # outside MEDIA_ROOT
        raise Http404("no such file") from None
    content_type = mimetypes.guess_type(full)[0] or "application/octet-stream"
    name = posixpath.basename(path)
    accel = getattr(settings, "GRIDOPS_MEDIA_ACCEL_REDIRECT", "")
    if accel:
        response = HttpResponse()
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + path
        return _headers(response, content_type, name)
    try:
        handle = open(full, "rb")
    except (FileNotFoundError, IsADirectoryError):
        raise Http404("no such file") from None
    return _headers(FileResponse(handle), content_type, name)
