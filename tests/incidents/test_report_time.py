"""The server's clock decides report time (issue 11, finding 5).

A citizen set `reported_at` 29 days back: the report was overdue at once, escalated to the
district and escaped duplicate detection. Now `reported_at` is the server's time of arrival; a
device's own time is `captured_at`, kept beside it within bounds (core.clock), never used for
deadlines. Open311 takes no time from the client either.
"""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from gridops.incidents.models import Incident, Source, Status
from gridops.incidents.services.escalation import escalate_overdue
from gridops.incidents.services.intake import incident_report

from .factories import NZ_POINT
from .test_api import client_for

pytestmark = pytest.mark.django_db


def _report(user, **extra):
    body = {"event_type": "0101001", "lon": NZ_POINT[0], "lat": NZ_POINT[1], **extra}
    return client_for(user).post(reverse("incident-list"), body, format="json")


def test_a_client_cannot_backdate_its_report(world):
    users = world["users"]
    earlier, _ = incident_report(reporter=users["citizen2"], lon=NZ_POINT[0], lat=NZ_POINT[1],
                                 event_type=world["types"]["manhole"], source=Source.CITIZEN)
    before = timezone.now()
    month_ago = (before - timedelta(days=29)).isoformat()
    response = _report(users["citizen"], reported_at=month_ago)
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.reported_at >= before  # the server's clock, not the client's
    assert incident.resolution_deadline > timezone.now()
    assert response.json()["properties"]["overdue"] is False
    assert escalate_overdue() == 0 and Incident.objects.get(pk=incident.pk).escalation_level == 0
    # ...and it no longer escapes duplicate detection: the open report beside it is found.
    operator = client_for(users["nanzhuang_op"])
    found = operator.get(reverse("incident-duplicates", args=[incident.pk])).json()
    assert [f["id"] for f in found["features"]] == [earlier.pk]
    assert incident.status == Status.REPORTED


def test_capture_time_is_kept_beside_the_servers_within_bounds(world, settings):
    settings.GRIDOPS_CAPTURE_MAX_AGE_HOURS = 24
    citizen = world["users"]["citizen"]
    now = timezone.now()
    hours_ago = (now - timedelta(hours=20)).replace(microsecond=0)
    kept = _report(citizen, captured_at=hours_ago.isoformat(), client_key="kept")
    assert kept.status_code == 201
    incident = Incident.objects.get(pk=kept.json()["id"])
    assert incident.captured_at == hours_ago and incident.reported_at >= now
    for claimed, key in [(now - timedelta(hours=25), "too-old"), (now + timedelta(minutes=10), "ahead")]:
        refused = _report(citizen, captured_at=claimed.isoformat(), client_key=key)
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "captured_at"
    skewed = _report(citizen, captured_at=(now + timedelta(minutes=2)).isoformat(), client_key="skew")
    assert skewed.status_code == 201  # a clock a little ahead is within the allowed skew


def test_open311_takes_no_time_from_the_client(world, settings):
    settings.GRIDOPS_OPEN311_API_KEYS = {"k-time": "civic-app"}
    before = timezone.now()
    response = APIClient().post(reverse("open311-requests", kwargs={"fmt": "json"}), {
        "api_key": "k-time", "service_code": "0101001", "lat": NZ_POINT[1], "long": NZ_POINT[0],
        "requested_datetime": "2000-01-01T00:00:00+08:00", "updated_datetime": "2000-01-01T00:00:00+08:00"})
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()[0]["service_request_id"])
    assert incident.reported_at >= before and incident.captured_at is None
