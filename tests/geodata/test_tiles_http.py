"""Tiles over HTTP for third-party clients (issue 14): caching that varies by caller, `Bearer`
tokens, what an invalid token gets on a public and on a private layer, and anonymous zone tiles
without made-up counts."""
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.geodata.test_tiles import decode, people, tile_url  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


def test_public_zone_tile_varies_by_authorization_and_cookie(people):
    """An anonymous zone tile is cacheable, but a signed-in caller gets counts at the same URL:
    without Vary a browser or proxy would keep serving the count-less tile for an hour."""
    anonymous = Client().get(tile_url("zones", 14))
    assert anonymous["Cache-Control"].startswith("public")
    assert {"authorization", "cookie"} <= _vary(anonymous)
    signed_in = Client()
    signed_in.force_login(people["users"]["district"])
    personal = signed_in.get(tile_url("zones", 14))
    assert personal["Cache-Control"] == "private, no-cache"
    assert {"authorization", "cookie"} <= _vary(personal)


def test_geometry_only_tiles_are_the_same_for_everyone(people):
    response = Client().get(tile_url("zones", 14, "counts=0"))
    assert response["Cache-Control"].startswith("public")
    assert "authorization" not in _vary(response)


def test_anonymous_zone_tiles_leave_counts_out(people):
    features = decode(Client().get(tile_url("zones", 14)))["zones"]["features"]
    assert features
    for feature in features:
        assert "open" not in feature["properties"] and "overdue" not in feature["properties"]
    signed_in = Client()
    signed_in.force_login(people["users"]["district"])
    counted = decode(signed_in.get(tile_url("zones", 14)))["zones"]["features"]
    assert all({"open", "overdue"} <= set(f["properties"]) for f in counted)


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
def test_token_and_bearer_schemes_authenticate(people, scheme):
    token = Token.objects.create(user=people["users"]["district"])
    response = Client().get(tile_url("incidents", 16), HTTP_AUTHORIZATION=f"{scheme} {token.key}")
    assert decode(response)["incidents"]["features"]
    zones = Client().get(tile_url("zones", 14), HTTP_AUTHORIZATION=f"{scheme} {token.key}")
    assert zones["Cache-Control"] == "private, no-cache"
    assert all("open" in f["properties"] for f in decode(zones)["zones"]["features"])


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Bearer not-a-real-token"])
def test_invalid_token_on_a_public_layer_gets_the_public_tile(people, header):
    response = Client().get(tile_url("zones", 14), HTTP_AUTHORIZATION=header)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public")
    public = Client().get(tile_url("zones", 14))
    assert response.content == public.content and response["ETag"] == public["ETag"]


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Token", "Token two parts"])
def test_invalid_token_on_a_private_layer_is_a_clear_401(people, header):
    response = Client().get(tile_url("incidents", 16), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_anonymous_private_layer_asks_to_sign_in(people):
    response = Client().get(tile_url("incidents", 16))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_inactive_users_token_is_rejected(people):
    user = people["users"]["district"]
    token = Token.objects.create(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = Client().get(tile_url("incidents", 16), HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert response.status_code == 401
