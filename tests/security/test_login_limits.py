"""Login limits key on the account as Django matches it (issue 11, finding 3).

Django strips the username and NFKC-normalises it, so " planner", "planner ", "\\tplanner" and the
full-width "ｐlanner" all sign in as `planner`. Once a guesser has used up `planner`'s budget from
an address, none of these spellings may get another try, on any way in: the login page, the token
endpoint and /admin/login/. Ticket issuing (anonymous) is limited per address.
"""
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

VARIANTS = [" planner", "planner ", "\tplanner", "ｐｌａｎｎｅｒ", "ｐlanner", "\u3000planner"]
PASSWORD = "pw-planner"  # tests/security/world.py


@pytest.fixture
def world(shared_world, db, settings):
    # A day's window: a fixed one-minute window could roll over in the middle of a slow test.
    settings.GRIDOPS_RATE_LIMITS = {"login": "3/d", "approvals.ticket": "3/d"}
    cache.clear()
    yield shared_world
    cache.clear()


def _login(way: str, username: str, password: str, address: str = "10.0.0.1"):
    client = Client(REMOTE_ADDR=address)
    if way == "token":
        return client.post(reverse("auth-token"), {"username": username, "password": password},
                           content_type="application/json")
    return client.post(reverse(way), {"username": username, "password": password})


def _signed_in(way: str, response) -> bool:
    if way == "token":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_spelling_is_the_same_identity(variant):
    from gridops.core.ratelimit import normalised_identity

    assert normalised_identity(variant) == normalised_identity("planner") == "planner"
    assert normalised_identity("PLANNER") == "planner"


@pytest.mark.parametrize("way", ["login", "auth-token", "admin-login"])
@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_sign_in_while_under_the_limit(world, way, variant):
    """Why the variants matter: each of them really is the planner's account."""
    world["users"]["planner"].__class__.objects.filter(username="planner").update(is_staff=True)
    kind = "token" if way == "auth-token" else way
    response = _login(kind, variant, PASSWORD, address="10.0.0.2")
    assert _signed_in(kind, response), (way, variant, response.status_code)


@pytest.mark.parametrize("way", ["login", "auth-token", "admin-login"])
def test_limit_holds_across_spellings(world, way):
    world["users"]["planner"].__class__.objects.filter(username="planner").update(is_staff=True)
    kind = "token" if way == "auth-token" else way
    guesses = [_login(kind, "planner", "wrong").status_code for _ in range(3)]
    assert 429 not in guesses
    for variant in VARIANTS + ["PLANNER", "planner"]:
        refused = _login(kind, variant, PASSWORD)
        assert refused.status_code == 429, (way, variant, refused.status_code)
        assert int(refused["Retry-After"]) > 0
    # Another address still signs in (the limit is per address and account, not a lock-out).
    assert _signed_in(kind, _login(kind, "planner", PASSWORD, address="10.0.0.3"))


def test_one_budget_across_the_ways_in(world):
    """Page, token and admin share the login budget: three ways do not triple the guesses."""
    assert _login("login", " planner", "wrong").status_code != 429
    assert _login("token", "planner\t", "wrong").status_code != 429
    assert _login("admin-login", "ｐlanner", "wrong").status_code != 429
    assert _login("login", "planner", PASSWORD).status_code == 429


@pytest.mark.parametrize("name", ["approvals-hall-tickets", "approvals-hall-bookings"])
def test_ticket_issuing_is_limited_per_address(world, name):
    url = reverse(name, args=[world["hall"].code])
    item = world["item"].code
    client = Client(REMOTE_ADDR="10.0.0.4")
    if name == "approvals-hall-bookings":
        client.force_login(world["users"]["citizen"])
    codes = [client.post(url, {"item": item}, content_type="application/json").status_code for _ in range(4)]
    assert 429 not in codes[:3] and codes[3] == 429
    assert Client(REMOTE_ADDR="10.0.0.5").post(reverse("approvals-hall-tickets", args=[world["hall"].code]),
                                                {"item": item}, content_type="application/json").status_code == 201
