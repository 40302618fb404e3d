"""Turn a lost database into 503 + Retry-After so clients retry with their idempotency key."""
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
    """A Content-Security-Policy that cannot break the pages: no framing by other sites (the
    modern form of X-Frame-Options), no plugins, no <base> hijack, forms post only to us.
    Scripts are not restricted here: the pages use inline settings blocks (django-leaflet)."""

    POLICY = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        return response
