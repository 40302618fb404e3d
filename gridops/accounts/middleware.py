"""Read-only accounts (the command centre's screen) are refused every write, in one place.

A middleware rather than a check in each service: the rule is about the account, not about an
object, and it must hold for every route present and future — pages, the REST API and Open311 —
whether the account came with a session cookie or an API token. Signing in and out, choosing the
language and asking for a token change no data and stay open.
"""
from django.db import InterfaceError, OperationalError
from django.urls import Resolver404, resolve

from gridops.core.errors import Forbidden, error_response
from gridops.core.middleware import DatabaseUnavailableMiddleware

from .selectors import is_read_only

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
ALLOWED_ROUTES = frozenset({"login", "admin-login", "logout", "set_language", "auth-token"})


def _token_user(request):
    """The user of an `Authorization: Token|Bearer …` header, or None (the view reports bad tokens)."""
    # Imported here: the token module reaches DRF, which imports the authentication classes.
    from gridops.core.tokens import TokenRejected, request_token_user

    try:
        return request_token_user(request)
    except TokenRejected:
        return None


def _route_name(request) -> str | None:
    try:
        return resolve(request.path_info).url_name
    except Resolver404:
        return None


class ReadOnlyRolesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS and _route_name(request) not in ALLOWED_ROUTES:
            try:
                user = request.user if request.user.is_authenticated else _token_user(request)
            except (OperationalError, InterfaceError) as exc:
                # The database went away while we asked who is writing: the same 503 + Retry-After
                # a view would give (an exception here, above the views, would otherwise be a 500).
                return DatabaseUnavailableMiddleware(self.get_response).process_exception(request, exc)
            if user is not None and is_read_only(user):
                return error_response(Forbidden("this account may only view", code="read_only_account"))
        return self.get_response(request)
