"""The tablet PWA: the page, its service worker's scope and its manifest, and the APIs it calls."""
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.realtime.users import ZUMIAO_GRID, build_people


def test_tablet_page_and_pwa_parts():
    client = Client()
    assert client.get(reverse("tablet")).status_code == 200
    worker = client.get(reverse("tablet-sw"))
    assert worker["Content-Type"].startswith("application/javascript")
    assert worker["Service-Worker-Allowed"] == reverse("tablet")
    assert b"const SHELL" in worker.content
    manifest = client.get(reverse("tablet-manifest")).json()
    assert manifest["scope"] == reverse("tablet") and manifest["display"] == "standalone"


@pytest.mark.django_db
def test_the_tablet_signs_in_and_reads_who_it_is_from_the_kept_paths():
    """The page's `me` is /api/v1/me/ (the realtime copy was folded into it): after the token the
    worker's name and micro-grids come from there, as tablet.js shows them."""
    worker = build_people()["users"]["worker_zm"]
    worker.set_password("pw-tablet-1")
    worker.save()
    api = Client().get(reverse("tablet")).context["config"]["api"]
    assert api["me"] == reverse("me") and not any("/realtime/" in url for url in api.values())
    client = APIClient()
    token = client.post(api["token"], {"username": worker.username, "password": "pw-tablet-1"}, format="json").json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    me = client.get(api["me"]).json()
    assert me["display_name"] and me["grids"] == [ZUMIAO_GRID] and me["role"] == "grid_worker"
