"""Token lookups are cached (no query per request) and forgotten when access changes (issue 13)."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from gridops.accounts.models import Role
from tests.builders import make_user

pytestmark = pytest.mark.django_db


def _me(key):
    return Client().get(reverse("me"), HTTP_AUTHORIZATION=f"Token {key}")


def _token_queries(key) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _me(key).status_code == 200
    return sum('"authtoken_token"' in q["sql"] for q in queries.captured_queries)


def test_second_request_does_not_query_the_token():
    key = Token.objects.create(user=make_user("tablet", Role.CITIZEN)).key
    assert _token_queries(key) == 1
    assert _token_queries(key) == 0


def test_deleted_token_is_refused_at_once():
    token = Token.objects.create(user=make_user("tablet", Role.CITIZEN))
    assert _me(token.key).status_code == 200
    token.delete()
    assert _me(token.key).status_code == 401


def test_role_change_and_deactivation_are_seen_at_once():
    user = make_user("tablet", Role.CITIZEN)
    key = Token.objects.create(user=user).key
    assert _me(key).json()["role"] == Role.CITIZEN
    user.profile.role = Role.PLANNER
    user.profile.save()
    assert _me(key).json()["role"] == Role.PLANNER
    user.is_active = False
    user.save()
    assert _me(key).status_code == 401
