"""Token login for tablets, `me`, and the login/logout pages."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from gridops.accounts.models import Profile, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(tiny_district):
    user = get_user_model().objects.create_user("w", password="secret-pw-1")
    profile = Profile.objects.create(user=user, role=Role.GRID_WORKER, zone=tiny_district["440604101"])
    profile.grids.set([tiny_district["44060410101001001"]])
    return user


def test_token_then_me(worker):
    client = APIClient()
    response = client.post(reverse("auth-token"), {"username": "w", "password": "secret-pw-1"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["role"] == "grid_worker" and body["user"]["grids"] == ["44060410101001001"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    me = client.get(reverse("me")).json()
    assert me["zone"]["code"] == "440604101" and me["role_label"] == "网格员"
    again = APIClient().post(reverse("auth-token"), {"username": "w", "password": "secret-pw-1"}, format="json")
    assert again.json()["token"] == body["token"]


@pytest.mark.parametrize("body, field", [({"username": "w", "password": "nope"}, "password"),
                                         ({"username": "w"}, "password"), ({}, "username")])
def test_bad_login(worker, body, field):
    response = APIClient().post(reverse("auth-token"), body, format="json")
    assert response.status_code == 400 and response.json()["error"]["field"] == field


def test_me_needs_auth():
    assert APIClient().get(reverse("me")).status_code == 401


def test_login_and_logout_pages(worker, client):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = client.post(reverse("login"), {"username": "w", "password": "secret-pw-1"})
    assert response.status_code == 302
    assert client.get(reverse("logout")).status_code == 200
    assert client.get(reverse("me")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("me")).status_code in (401, 403)


def test_login_page_is_chinese_by_default_and_english_on_request(client, settings):
    page = client.get(reverse("login")).content.decode()
    assert "登录网格通" in page and "用户名" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Sign in to GridOps" in client.get(reverse("login")).content.decode()


def test_login_is_rate_limited_per_account(worker, settings):
    """Keys are per address and account, so fresh usernames keep this independent of other tests."""
    import uuid

    settings.GRIDOPS_RATE_LIMITS = {"login": "3/m"}
    guessed, other, page_user = (f"rl-{uuid.uuid4().hex[:8]}" for _ in range(3))
    client = APIClient()
    codes = [client.post(reverse("auth-token"), {"username": guessed, "password": "bad"}, format="json").status_code
             for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    assert client.post(reverse("auth-token"), {"username": other, "password": "x"}, format="json").status_code == 400
    page = [client.post(reverse("login"), {"username": page_user, "password": "bad"}).status_code for _ in range(4)]
    assert page == [200, 200, 200, 429]
