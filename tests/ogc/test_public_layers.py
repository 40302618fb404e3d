"""What the public collections leave out: catchments of proposals (only the published plan's) and
inactive service halls."""
import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone

from gridops.education.models import CatchmentMember, CatchmentPlan, PlanStatus, School
from tests.geojson_support import assert_rfc7946
from tests.incidents.factories import NZ_GRID1, NZ_GRID2, ZM_GRID1

pytestmark = pytest.mark.django_db


def items(cid: str) -> dict:
    return Client().get(f"/ogc/collections/{cid}/items").json()


def test_catchments_are_the_published_plans_only(tiny_district):
    school = School.objects.create(code="P1", name="南庄第一小学", level="primary", location=Point(113.01, 23.005, srid=4326))
    other = School.objects.create(code="P2", name="祖庙第一小学", level="primary", location=Point(113.03, 23.005, srid=4326))
    draft = CatchmentPlan.objects.create(name="草案", school_year=2026)
    CatchmentMember.objects.create(plan=draft, school=other, zone=tiny_district[ZM_GRID1])
    assert items("catchments")["numberMatched"] == 0
    published = CatchmentPlan.objects.create(name="2025", school_year=2025, status=PlanStatus.PUBLISHED,
                                             published_at=timezone.now())
    for grid in (NZ_GRID1, NZ_GRID2):
        CatchmentMember.objects.create(plan=published, school=school, zone=tiny_district[grid])
    body = items("catchments")
    assert [f["id"] for f in body["features"]] == ["P1"]
    assert assert_rfc7946(body) == 1
    assert items("schools")["numberMatched"] == 2  # the schools themselves are all public


def test_only_active_halls_are_served(tiny_district):
    from gridops.approvals.models import Hall

    for code, active in (("H1", True), ("H2", False)):
        Hall.objects.create(code=code, name=code, kind="town_centre", zone=tiny_district[NZ_GRID1],
                            location=Point(113.01, 23.005, srid=4326), is_active=active)
    assert [f["id"] for f in items("service-halls")["features"]] == ["H1"]
