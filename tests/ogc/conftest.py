"""A small world for the OGC API tests: the tiny district, a user per role, and incidents made
in bulk (the paging test needs more than 10,000; the intake service would take minutes)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.incidents.factories import NZ_GRID1, NZ_POINT, ZM_GRID1, ZM_POINT, build_world


def bulk_incidents(count: int, grid_code: str, point: tuple[float, float], *, days_ago: float = 1) -> list[int]:
    """`count` dispatched incidents in one micro-grid, reported `days_ago`, not yet due, via bulk_create."""
    from django.contrib.gis.geos import Point

    from geodata.models import Zone
    from gridops.incidents.models import EventType, Incident, Source, Status

    grid = Zone.objects.select_related("parent__parent__parent").get(code=grid_code)
    village = grid.parent
    area, town = village.parent, village.parent.parent
    et = EventType.objects.get(code="0101001")
    reported = timezone.now() - timedelta(days=days_ago)
    # Deadlines ahead: an overdue incident would set the live server's escalation worker to work
    # on 10,001 rows while the test database is being flushed (a deadlock seen once).
    later = timezone.now() + timedelta(days=30)
    rows = [Incident(point=Point(*point, srid=4326), town=town, area=area, village=village, grid=grid, event_type=et,
                     category_id=et.category_id, priority=et.priority, source=Source.HOTLINE, status=Status.DISPATCHED,
                     department_id=et.department_id, reported_at=reported, registered_at=reported,
                     response_deadline=later, resolution_deadline=later)
            for _ in range(count)]
    return [row.pk for row in Incident.objects.bulk_create(rows, batch_size=2000)]


@pytest.fixture
def ogc_world(tiny_district):
    world = build_world(tiny_district)
    world["nanzhuang"] = bulk_incidents(3, NZ_GRID1, NZ_POINT, days_ago=2)
    world["zumiao"] = bulk_incidents(2, ZM_GRID1, ZM_POINT, days_ago=10)
    return world
