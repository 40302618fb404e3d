"""Conditional GET, by Django's own rules: the one place that answers `If-None-Match` with a 304.

Three hand-written copies (reference data, the zones API and vector tiles) used to compare the
header themselves, and one matched it as a *substring* (`etag in header`): a client holding
`"abc1"` was told its copy of `"abc"` was current. `django.utils.cache.get_conditional_response`
is what Django's `condition` decorator runs: it parses the header as a list of entity tags, takes
weak validators (`W/"…"`) as equal for GET, honours `*` and `If-Match`/`If-Modified-Since`, and
answers 304 (or 412) as RFC 9110 says. Views whose validator needs the parsed request (a tile's
visibility, a zone list's level) call `conditional_response` with it; the body is built only when
the client's copy is stale.
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers, quote_etag


def conditional_response(request, *, etag: str, build: Callable[[], HttpResponse], cache_control: dict | None = None,
                         vary: tuple[str, ...] = ()) -> HttpResponse:
    """304 when the request's validators match `etag`, else `build()`; both carry the ETag, the
    `Cache-Control` directives and `Vary` (a 304 must repeat them, or caches drop them)."""
    etag = quote_etag(etag)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = build()
    if response.status_code not in (200, 304):
        return response  # an error is not this version of the resource
    response.headers.setdefault("ETag", etag)
    if cache_control:
        patch_cache_control(response, **cache_control)
    if vary:
        patch_vary_headers(response, vary)
    return response
