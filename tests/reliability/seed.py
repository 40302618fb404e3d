"""Data for the reliability tests, written by a subprocess on the private database.

The pytest process is bound to pytest-django's test database; the fault tests run the app on
a private PostgreSQL cluster instead, so their data is written by this module run as
`python -m tests.reliability.seed <command> [args]` with that cluster's DATABASE_URL. Each
command prints one JSON object on stdout.

Commands:
    world              the tiny district, the incident catalogue, one user per role, tokens
    overdue N          N dispatched incidents far past both deadlines (for the sweep test)
    report N PREFIX    N incidents through `incident_report` (while the web server is down)
"""
from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.reliability.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from tests.builders import build_tiny_district  # noqa: E402
from tests.incidents.factories import NZ_GRID1, NZ_POINT, build_world  # noqa: E402


def world() -> dict:
    from geodata.models import Zone

    if Zone.objects.exists():
        raise SystemExit("the database already holds zones; seed a fresh one")
    with transaction.atomic():
        built = build_world(build_tiny_district())
        tokens = {name: Token.objects.get_or_create(user=user)[0].key for name, user in built["users"].items()}
    return {"tokens": tokens, "user_ids": {name: user.pk for name, user in built["users"].items()},
            "event_types": {name: et.code for name, et in built["types"].items()}}


def overdue(count: int) -> dict:
    """Dispatched incidents ten days old: both deadlines passed, never escalated (level 0)."""
    from geodata.models import Zone
    from gridops.accounts.models import Department
    from gridops.incidents.models import EventType, Incident, Source, Status
    from gridops.incidents.services.points import to_storage_point

    grid = Zone.objects.select_related("parent__parent__parent").get(code=NZ_GRID1)
    village = grid.parent
    area = village.parent
    town = area.parent
    et = EventType.objects.get(code="0101001")
    point, _ = to_storage_point(*NZ_POINT, "wgs84")
    reported = timezone.now() - timedelta(days=10)
    rows = [
        Incident(point=point, town=town, area=area, village=village, grid=grid, event_type=et,
                 category_id=et.category_id, priority=et.priority, description=f"overdue {n}",
                 source=Source.HOTLINE, status=Status.DISPATCHED, department=Department.objects.get(code="cg"),
                 reported_at=reported, registered_at=reported, dispatched_at=reported,
                 response_deadline=reported + timedelta(hours=2), resolution_deadline=reported + timedelta(hours=24))
        for n in range(count)
    ]
    created = Incident.objects.bulk_create(rows, batch_size=1000)
    return {"ids": [row.pk for row in created]}


def report(count: int, prefix: str) -> dict:
    """Hotline reports through the service layer (each records and pushes its event)."""
    from gridops.incidents.services.intake import incident_report

    ids = []
    for n in range(count):
        incident, _ = incident_report(reporter=None, lon=NZ_POINT[0], lat=NZ_POINT[1], event_type="0101002",
                                      source="hotline_12345", description=f"{prefix} {n}")
        ids.append(incident.pk)
    return {"ids": ids}


COMMANDS = {"world": world, "overdue": lambda n: overdue(int(n)), "report": lambda n, p: report(int(n), p)}

if __name__ == "__main__":
    command, *args = sys.argv[1:]
    print(json.dumps(COMMANDS[command](*args)))
