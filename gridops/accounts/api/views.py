"""Token login for tablets and a `me` endpoint for every client."""
from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from gridops.core.ratelimit import login_limited

from ..authentication import ProfileTokenAuthentication
from ..selectors import profile_of, role_of
from .serializers import MeSerializer, TokenRequestSerializer, me_data


@method_decorator(login_limited, name="post")
class TokenView(APIView):
    """POST username + password → a token for `Authorization: Token <key>` (tablets)."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(request=TokenRequestSerializer,
                   responses=inline_serializer("TokenResponse", {"token": serializers.CharField(),
                                                                "user": MeSerializer()}))
    def post(self, request):
        body = TokenRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        user = body.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "user": me_data(user, profile_of(user), role_of(user))})


class MeView(APIView):
    authentication_classes = [ProfileTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        return Response(me_data(user, profile_of(user), role_of(user)))
