"""The incident admin only shows incidents: an admin save or delete would bypass the services
(history, version, the live push, the tiles' data version)."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.realtime.users import ZUMIAO_GRID, build_people, make_incident

pytestmark = pytest.mark.django_db


def test_a_superuser_can_view_but_not_change_add_or_delete_an_incident():
    incident = make_incident(build_people()["zones"], ZUMIAO_GRID)
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("admin-root", password="x"))
    change = reverse("admin:incidents_incident_change", args=[incident.pk])
    page = client.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content  # view only
    before = incident.priority
    client.post(change, {"priority": "urgent" if before != "urgent" else "normal"})
    incident.refresh_from_db()
    assert incident.priority == before
    assert client.get(reverse("admin:incidents_incident_add")).status_code == 403
    assert client.post(reverse("admin:incidents_incident_delete", args=[incident.pk]), {"post": "yes"}).status_code == 403
    incident.refresh_from_db()  # still there
