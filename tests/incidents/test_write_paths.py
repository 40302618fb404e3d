"""The write hot paths' shortcuts answer what the long way answered (issue 13).

- a report writes its incident, history and event in one statement, and a retry writes nothing;
- the one duplicate statement selects what the rule, restated in Python, selects;
- a transition's reply, built from the row it locked and wrote, is what a fresh read shows;
- a transition and a photo upload stay within their statement budgets.
"""
import io
import math
from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridops.incidents import selectors
from gridops.incidents.models import OPEN_STATUSES, Incident, IncidentTransition, Source, Status
from gridops.incidents.services.intake import incident_report
from gridops.incidents.services.lifecycle import incident_merge, incident_transition
from gridops.realtime.models import Event
from tests.images import PNG

from .factories import NZ_POINT, NZ_POINT2
from .test_api import client_for, tablet_report

pytestmark = pytest.mark.django_db


def _report(world, user="nz_worker", point=NZ_POINT, kind="manhole", **kw):
    source = Source.CITIZEN if user.startswith("citizen") else Source.GRID_WORKER
    return incident_report(reporter=world["users"][user], lon=point[0], lat=point[1],
                           event_type=world["types"][kind], source=source, **kw)


def test_a_report_is_one_write_statement_and_a_retry_writes_nothing(world):
    _report(world, point=NZ_POINT2, kind="waterlog")  # warm the reference caches
    with CaptureQueriesContext(connection) as queries:
        incident, created = _report(world, client_key="k1")
    writes = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
    assert created and len(writes) == 1, writes
    history = list(IncidentTransition.objects.filter(incident=incident).order_by("id")
                   .values_list("action", "from_status", "to_status", "actor_id"))
    assert history == [("report", "", "reported", world["users"]["nz_worker"].pk),
                       ("auto_dispatch", "reported", "registered", None),
                       ("auto_dispatch", "registered", "dispatched", None)]
    event = Event.objects.get(kind="incident.created", payload__id=incident.pk)
    assert event.payload["status"] == Status.DISPATCHED and "district" in event.audiences
    assert f"user.{world['users']['nz_worker'].pk}" in event.audiences
    counts = (Incident.objects.count(), IncidentTransition.objects.count(), Event.objects.count())
    again, created = _report(world, client_key="k1")
    assert (again.pk, created) == (incident.pk, False)
    assert (Incident.objects.count(), IncidentTransition.objects.count(), Event.objects.count()) == counts


def _sphere_m(a, b) -> float:
    """Great-circle metres on PostGIS's sphere (`ST_DistanceSphere`: radius 6370986 m)."""
    (lon1, lat1), (lon2, lat2) = (map(math.radians, p) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6370986 * math.asin(math.sqrt(h))


def test_the_duplicate_rule_restated(world):
    """The one duplicate statement against the rule written out here in Python: same type, open,
    reported since 24 h before `now`, within 50 m on the sphere; earliest first."""
    metres_per_degree_lon = 111_320 * math.cos(math.radians(NZ_POINT[1]))
    made = {}
    for n, metres in enumerate((0, 20, 45, 49, 51, 55, 80)):
        point = (NZ_POINT[0] + metres / metres_per_degree_lon, NZ_POINT[1])
        made[metres], _ = _report(world, user="citizen" if n % 2 else "citizen2", point=point, client_key=f"d{n}")
    voided, _ = _report(world, user="citizen", client_key="void-me")
    incident_transition(user=world["users"]["district_op"], incident_id=voided.pk, status=Status.VOID,
                        version=voided.version)
    _report(world, user="citizen", kind="waterlog", client_key="other-type")
    old, _ = _report(world, user="citizen2", client_key="old")
    later, _ = _report(world, user="citizen2", client_key="later")
    now = timezone.now()
    Incident.objects.filter(pk=old.pk).update(reported_at=now - timedelta(hours=24, minutes=1))
    Incident.objects.filter(pk=later.pk).update(reported_at=now + timedelta(minutes=5))
    rows = list(Incident.objects.values_list("pk", "event_type_id", "status", "reported_at", "point"))
    manhole = world["types"]["manhole"].pk
    for probe in (NZ_POINT, made[49].point.coords, made[80].point.coords, NZ_POINT2):
        for exclude in (None, made[20].pk):
            expected = [pk for pk, type_id, status, at, point in sorted(rows, key=lambda r: (r[3], r[0]))
                        if type_id == manhole and status in OPEN_STATUSES and pk != exclude
                        and now - timedelta(hours=24) <= at and _sphere_m(point.coords, probe) <= 50]
            found = selectors.duplicate_ids(event_type_id=manhole, point=Point(*probe, srid=4326), now=now,
                                            exclude_id=exclude, limit=None)
            assert found == expected, (probe, exclude)
            assert list(selectors.duplicate_candidates(event_type_id=manhole, point=Point(*probe, srid=4326),
                                                       now=now, exclude_id=exclude).values_list("pk", flat=True)) == expected
    near = selectors.duplicate_ids(event_type_id=manhole, point=Point(*NZ_POINT, srid=4326), now=now)
    assert made[49].pk in near and made[51].pk not in near and voided.pk not in near
    assert old.pk not in near and later.pk in near  # a sensor's batch joins what it just opened
    assert selectors.duplicate_ids(event_type_id=manhole, point=Point(*NZ_POINT, srid=4326), now=now,
                                   limit=1) == near[:1]


@pytest.mark.parametrize("who, moves", [
    ("nz_worker", [("in_progress", ""), ("resolved", "")]),
    ("cg_handler", [("returned", "")]),
    ("nanzhuang_op", [("dispatched", "sw")]),
    ("district_op", [("dispatched", "sw")]),
])
def test_a_transitions_reply_is_what_a_fresh_read_shows(world, who, moves):
    made = tablet_report(client_for(world["users"]["nz_worker"]), client_key=f"fresh-{who}").json()
    incident = Incident.objects.get(pk=made["id"])
    # A co-reporter, so the reply's count and the push's audiences read the ids with the row.
    duplicate, _ = _report(world, user="citizen")
    incident_merge(user=world["users"]["district_op"], incident_id=duplicate.pk, into_id=incident.pk,
                   version=duplicate.version)
    client = client_for(world["users"][who])
    client.get(reverse("incident-detail", args=[incident.pk]))  # the token user is cached from here on
    url = reverse("incident-transition", args=[incident.pk])
    for status, department in moves:
        version = Incident.objects.get(pk=incident.pk).version
        with CaptureQueriesContext(connection) as queries:
            reply = client.post(url, {"status": status, "version": version, "department": department}, format="json")
        assert reply.status_code == 200, reply.content
        # Lock (visibility within it), [department], update, history, event, inside the transaction's
        # two brackets; then the reply's photos and history. Thirteen to fourteen before (issue 13).
        assert len(queries.captured_queries) <= 9, [q["sql"][:90] for q in queries.captured_queries]
        fresh = client.get(reverse("incident-detail", args=[incident.pk])).json()
        body = reply.json()
        # `overdue`/`breached_deadlines` are computed at each request's clock: equal here (deadlines ahead).
        assert body == fresh
        assert body["properties"]["co_reporter_count"] == 1
        event = Event.objects.filter(kind="incident.updated", payload__id=incident.pk).latest("id")
        assert f"user.{world['users']['citizen'].pk}" in event.audiences


def test_a_photo_upload_is_a_handful_of_statements(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    worker = client_for(world["users"]["nz_worker"])
    url = reverse("incident-photos", args=[tablet_report(worker).json()["id"]])
    photo = io.BytesIO(PNG)
    with CaptureQueriesContext(connection) as queries:
        response = worker.post(url, {"photo": photo}, format="multipart")
    assert response.status_code == 201, response.content
    # Visible? (one statement, co-reported ids within it), then in a transaction (two brackets):
    # the lock, the stored photos, the insert. It was eight with the visibility reads.
    assert len(queries.captured_queries) <= 6, [q["sql"][:90] for q in queries.captured_queries]
