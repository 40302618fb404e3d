"""DRF's token authentication through the one token rule of `gridops.core.tokens`.

`Authorization: Token <key>` or `Bearer <key>`; the profile and zone come in the same query.
The rule is imported when a request is authenticated, not at import: DRF imports this class
while `gridops.core.errors` (which the rule uses) is itself still importing DRF.
"""
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ProfileTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        from gridops.core.tokens import TokenRejected, request_token_user, token_key_from_header

        try:
            key = token_key_from_header(request.META.get("HTTP_AUTHORIZATION"))
            if key is None:
                return None
            # On the Django request, where the read-only middleware may have looked it up already.
            return request_token_user(request._request), key
        except TokenRejected as exc:
            raise exceptions.AuthenticationFailed(exc.message) from None

    def authenticate_header(self, request):
        return 'Token realm="api"'
