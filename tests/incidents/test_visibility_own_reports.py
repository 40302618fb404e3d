"""A grid worker sees their micro-grids and also whatever they reported elsewhere, no more."""
import pytest

from gridops.incidents.models import Source
from gridops.incidents.selectors import incidents_visible_to
from gridops.incidents.services.intake import incident_report

pytestmark = pytest.mark.django_db


def test_grid_worker_follows_own_report_outside_their_grids(world):
    worker, other = world["users"]["nz_worker"], world["users"]["zm_worker"]
    # 祖庙 grid 2 (113.03, 23.015) is nobody's grid: nz_worker reports there, zm_worker reports there too.
    own, _ = incident_report(reporter=worker, lon=113.03, lat=23.015, event_type=world["types"]["manhole"],
                             source=Source.GRID_WORKER, client_key="own-1")
    foreign, _ = incident_report(reporter=other, lon=113.031, lat=23.016, event_type=world["types"]["waterlog"],
                                 source=Source.GRID_WORKER, client_key="foreign-1")
    visible = set(incidents_visible_to(worker).values_list("pk", flat=True))
    assert own.pk in visible and foreign.pk not in visible
