"""Token authentication that loads the user's profile in the same query.

Every incident request asks for the caller's role and jurisdiction; fetching the profile with
the token saves a round trip on the tablet's hottest path (report intake).
"""
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ProfileTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = (model.objects.select_related("user", "user__profile", "user__profile__zone")
                     .defer("user__profile__zone__geom").get(key=key))
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
