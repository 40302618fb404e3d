"""Issue 3's acceptance on the shipped demo district (zones, catalogue and accounts as `make run` loads them).

A grid worker's report at a point in 南庄镇 of an ordinary type is dispatched to the right
department and the 南庄 sub-centre with no human step; the same report retried with the same key
returns the same incident.
"""
import pytest
from django.urls import reverse

from geodata.loaders.demo import load_demo_zones
from gridops.accounts.demo import DEMO_PASSWORD, load_demo_accounts
from gridops.incidents.catalogue import load_demo_catalogue
from gridops.incidents.models import EventType, Incident

pytestmark = pytest.mark.django_db


def test_grid_worker_report_in_nanzhuang_is_dispatched_and_a_retry_returns_it():
    for step in (load_demo_zones, load_demo_catalogue, load_demo_accounts):
        step(lambda message: None)
    assert EventType.objects.count() == 1894
    from rest_framework.test import APIClient

    client = APIClient()
    login = client.post(reverse("auth-token"), {"username": "grid_worker", "password": DEMO_PASSWORD}, format="json")
    assert login.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    from gridops.accounts.models import Profile

    grid = Profile.objects.get(user__username="grid_worker").grids.order_by("code").first()
    point = grid.geom.point_on_surface
    ordinary = EventType.objects.filter(emergency=False, priority="normal", department__short_name="城管").first()
    body = {"event_type": ordinary.code, "lon": point.x, "lat": point.y, "accuracy_m": 5,
            "client_key": "acceptance-1", "description": "人行道井盖响动"}
    first = client.post(reverse("incident-list"), body, format="json")
    assert first.status_code == 201, first.content
    props = first.json()["properties"]
    assert props["status"] == "dispatched"
    assert props["department"]["code"] == ordinary.department.code
    assert props["town"]["code"] == "440604101" and props["grid"]["code"] == grid.code
    assert props["command_centre"]["name"].startswith("南庄镇")
    retry = client.post(reverse("incident-list"), body, format="json")
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert Incident.objects.count() == 1
