"""The report's INSERT: its text compiled once per process, its values as the ORM prepares them."""
import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from gridops.incidents.models import Incident, Source
from gridops.incidents.services.intake import incident_report
from gridops.incidents.services.report_write import _incident_insert, _orm_insert

from .factories import NZ_POINT, ZM_POINT

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.mark.parametrize("changes", [
    {},
    {"description": "人行道井盖缺失", "accuracy_m": 7.5, "client_key": "k-9", "reporter_phone": "13800000000"},
    {"department": None, "command_centre": None, "accuracy_m": None, "captured_at": None},
])
def test_the_once_compiled_insert_is_what_the_orm_compiles(world, changes, monkeypatch):
    stored, _ = incident_report(reporter=world["users"]["nz_worker"], lon=NZ_POINT[0], lat=NZ_POINT[1],
                                event_type=world["types"]["manhole"], source=Source.GRID_WORKER)
    # A fresh unsaved copy, changed as the case says, written both ways.
    incident = Incident.objects.get(pk=stored.pk)
    incident.pk, incident._state.adding = None, True
    incident.point = Point(*ZM_POINT, srid=4326)
    for name, value in changes.items():
        setattr(incident, name, value)
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)  # `auto_now` columns read the clock each time
    ours, orm = _incident_insert(incident), _orm_insert(incident)
    assert ours[0] == orm[0]
    assert ours[1] == orm[1]
    assert len(ours[1]) == ours[0].count("%s")


def test_a_point_in_another_srid_is_refused_before_anything_is_written(world):
    incident = Incident(point=Point(500000, 2500000, srid=4547))
    with pytest.raises(ValueError, match="SRID"):
        _incident_insert(incident)
