"""The incident tiles' data version, remembered per process (`gridops.incidents.tile_version`):
held while nothing tells the process of an incident change, read again as soon as something does,
and at the latest after `GRIDOPS_TILE_VERSION_SECONDS`. (The suite's settings read it on every
call; these tests switch the remembering on.)"""
import time

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from geodata.models import Level, Zone
from gridops.core import dbrouter
from gridops.incidents import tile_version
from gridops.incidents.tile_version import data_version, read_data_version
from gridops.realtime import committed
from gridops.realtime.services import publish_event
from tests.geodata.test_tiles import tile_url
from tests.realtime.users import ZUMIAO_GRID, build_people, make_incident, signed_in

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


@pytest.fixture
def people():
    return build_people()


@pytest.fixture
def zones(people):
    return people["zones"]


@pytest.fixture(autouse=True)
def remembering(settings):
    settings.GRIDOPS_TILE_VERSION_SECONDS = 60
    tile_version._held.clear()
    yield
    tile_version._held.clear()


def test_held_until_an_incident_event_is_heard(zones):
    before = data_version()
    make_incident(zones, ZUMIAO_GRID)  # a row written without an event (a history import)
    assert read_data_version() != before
    assert data_version() == before  # nothing heard yet: the version held
    committed.heard("position.moved")  # other families leave it alone
    assert data_version() == before
    committed.heard("incident.updated")
    assert data_version() == read_data_version() != before


def test_this_process_commit_is_heard_at_once(zones, django_capture_on_commit_callbacks):
    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        publish_event(kind="incident.updated", payload={"id": 1}, audiences=["district"])
        assert data_version() == before  # not committed yet: nothing new to see
    assert data_version() == read_data_version() != before


def test_read_again_after_the_trust_time(zones, settings):
    settings.GRIDOPS_TILE_VERSION_SECONDS = 0.2
    before = data_version()
    make_incident(zones, ZUMIAO_GRID)
    assert data_version() == before
    time.sleep(0.3)
    assert data_version() == read_data_version() != before


def test_zero_reads_on_every_call(zones, settings):
    settings.GRIDOPS_TILE_VERSION_SECONDS = 0
    before = data_version()
    make_incident(zones, ZUMIAO_GRID)
    assert data_version() == read_data_version() != before


def test_the_counts_version_moves_with_a_new_reference_generation(zones, settings):
    settings.GRIDOPS_REFERENCE_CHECK_SECONDS = 0
    before = data_version(zones=True)
    grid = Zone.objects.filter(level=Level.GRID).first()
    Zone.objects.create(code=grid.code[:-3] + "999", name="新网格", level=Level.GRID, parent=grid.parent, geom=grid.geom)
    after = data_version(zones=True)
    assert after == read_data_version(zones=True) != before
    assert after.split(".")[-2:] == before.split(".")[-2:]  # the incident part did not move


def _version_reads(alias: str, client) -> int:
    """GET an incident tile; how many statements on `alias` read the data version."""
    with CaptureQueriesContext(connections[alias]) as queries:
        assert client.get(tile_url("incidents", 16)).status_code == 200
    return sum("realtime_event" in q["sql"] for q in queries.captured_queries)


def test_a_version_read_on_the_primary_is_not_handed_to_a_standby_reader(people, settings):
    """A tile's version and rows come from one database: a caller who just wrote reads both on the
    primary; the version it read there must not serve another caller whose rows come from the
    lagging standby (their older rows would be cached under the newer version, for everyone)."""
    settings.GRIDOPS_REPLICA_READ_VIEWS = ["tile"]
    settings.GRIDOPS_PREPARED_STATEMENTS = False  # the version's SQL in the captured statements
    writer, other = people["users"]["district"], people["users"]["nanzhuang"]
    dbrouter.note_write(writer.pk)
    assert _version_reads("default", signed_in(writer)) == 1
    assert _version_reads("replica", signed_in(other)) == 1  # its own database's version
    assert _version_reads("replica", signed_in(other)) == 0  # then held there
    assert _version_reads("default", signed_in(writer)) == 0
