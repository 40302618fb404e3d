"""Cross-cutting middleware: a lost database as 503 + Retry-After (clients retry with their
idempotency key), Chinese by default, and the Content-Security-Policy with its per-response nonce."""
import re
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from .errors import error_body


class DatabaseUnavailableMiddleware:
    retry_after_seconds = 5

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            response = JsonResponse(
                error_body("database_unavailable", "The database is unavailable; retry shortly."),
                status=503,
            )
            response["Retry-After"] = str(self.retry_after_seconds)
            return response
        return None


class ChineseByDefaultMiddleware:
    """Pages are in Simplified Chinese unless the user chose another language (cookie or form).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a tablet with an
    English system language would show English to a Chancheng grid worker; the district's
    default is Chinese, and English is an explicit choice. Sits just before LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """The Content-Security-Policy of every response: everything from our own origin only.

    Scripts run only from our static files or from an inline block carrying this response's
    nonce (`request.csp_nonce`; templates write `nonce="{{ request.csp_nonce }}"`, django-leaflet's
    `{% leaflet_map ... csp_nonce=request.csp_nonce %}`), so an injected `<script>` or `onclick=`
    never runs. Styles may be inline: Leaflet positions every tile and marker with a style
    attribute. Images also come from the configured basemap (GRIDOPS_TILE_URL, `{s}` subdomains as
    a wildcard). `connect-src 'self'` covers the same-origin websocket (CSP Level 3). No framing by
    other sites, no plugins, no <base> hijack, forms post only to us.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.template = policy_template()

    def __call__(self, request):
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.template.replace("{nonce}", nonce))
        return response


def _tile_source() -> str:
    """The basemap's origin as a CSP source (`https://*.tile.example.org`), or nothing."""
    url = urlsplit(getattr(settings, "GRIDOPS_TILE_URL", "") or "")
    if not url.scheme or not url.netloc:
        return ""
    return f"{url.scheme}://{re.sub(r'[{][^}]*[}]', '*', url.netloc)}"


def policy_template() -> str:
    images = " ".join(filter(None, ["'self' data: blob:", _tile_source()]))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "connect-src 'self'",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])
