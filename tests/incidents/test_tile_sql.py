"""Incident tiles under live writes (issue 13): the compiled SQL kept per visibility, with "now"
filled in at every render, and the statement settings a render runs with."""
import time

import mapbox_vector_tile
import pytest
from django.db import connection
from django.test import RequestFactory

from geodata.tiles import LAYERS, Layer, Tile, render_tile
from gridops.incidents import tiles as incident_tiles
from tests.geodata.test_tiles import people, tile_of  # noqa: F401 (fixture)
from tests.realtime.users import ZUMIAO_GRID, make_incident

SPOT = (113.0201, 23.005)


def _request(user, query=None):
    request = RequestFactory().get("/", query or {})
    request.user = user
    return request


def _tile(z: int) -> Tile:
    return Tile(z, *tile_of(*SPOT, z))


def _now_params(sql_params: dict) -> list:
    from datetime import datetime

    return sorted({value for value in sql_params.values() if isinstance(value, datetime)})


@pytest.fixture
def built(monkeypatch) -> list:
    """One entry per incident FilterSet built: a tile whose SQL is kept composes none."""
    built = []
    original = incident_tiles.IncidentFilter.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(incident_tiles.IncidentFilter, "__init__", counting)
    return built


@pytest.mark.django_db
def test_unfiltered_sql_is_compiled_once_per_visibility_and_filled_with_now(people, built):
    incident_tiles.KEPT_SQL.clear()
    layer = LAYERS["incidents"]
    district = people["users"]["district"]
    first_sql, first_params = layer.sql(_tile(16), _request(district))
    time.sleep(0.01)
    again_sql, again_params = layer.sql(_tile(16), _request(district))
    assert len(built) == 1  # the second render composed nothing
    assert again_sql == first_sql
    # Every render asks the clock: the overdue flags are as fresh as when the SQL was composed anew.
    assert _now_params(again_params) and _now_params(again_params)[0] > _now_params(first_params)[0]
    assert incident_tiles._NOW not in again_params.values()
    layer.sql(_tile(16), _request(people["users"]["nanzhuang"]))  # another jurisdiction: its own SQL
    assert len(built) == 2
    layer.sql(_tile(16), _request(district, {"days": "3"}))  # a filter (here reading the clock): composed
    layer.sql(_tile(16), _request(district, {"days": "3"}))
    assert len(built) == 4


@pytest.mark.django_db
def test_the_consoles_status_filter_is_kept_per_filter_key_and_others_compose(people, built):
    """The console asks its tiles with `?status=open`: kept per visibility and filter key, like no
    filter; a filter that reads the clock or the database still composes on every render."""
    incident_tiles.KEPT_SQL.clear()
    layer, district = LAYERS["incidents"], people["users"]["district"]
    first_sql, first_params = layer.sql(_tile(16), _request(district, {"status": "open"}))
    count = len(built)
    again_sql, again_params = layer.sql(_tile(16), _request(district, {"status": "open"}))
    assert len(built) == count and again_sql == first_sql  # nothing composed the second time
    assert _now_params(again_params)[0] > _now_params(first_params)[0]
    assert incident_tiles._NOW not in again_params.values()
    unfiltered, _ = layer.sql(_tile(16), _request(district))
    urgent, _ = layer.sql(_tile(16), _request(district, {"status": "open", "priority": "urgent"}))
    assert len({unfiltered, first_sql, urgent}) == 3  # each filter key its own SQL
    count = len(built)
    for query in ({"status": "open", "days": "3"}, {"status": "open", "event_type": "0101001"}):
        layer.sql(_tile(16), _request(district, query))
        layer.sql(_tile(16), _request(district, query))
    assert len(built) - count >= 4  # composed for every render


@pytest.mark.django_db
def test_query_string_only_filters_compile_to_the_same_sql_whatever_the_clock_and_the_data(
        people, django_assert_num_queries):
    """What `IncidentFilter.QUERY_STRING_ONLY` promises, for each of its filters: the SQL depends on
    the query string alone, so a kept statement cannot go stale."""
    from django.db.models import Q

    from gridops.core.filtersets import filtered
    from gridops.incidents.filters import IncidentFilter
    from gridops.incidents.models import Incident

    values = {"status": "open", "priority": "urgent,normal", "open": "true"}
    assert set(values) == IncidentFilter.QUERY_STRING_ONLY

    def compiled_for(name):
        with django_assert_num_queries(0):  # a filter that checks codes exist would read the database
            qs = filtered(IncidentFilter({name: values[name]}, queryset=Incident.objects.filter(Q(pk__gt=0))))
            return str(qs.query)

    before = {name: compiled_for(name) for name in values}
    make_incident(people["zones"], ZUMIAO_GRID, status="dispatched")
    time.sleep(0.01)
    assert {name: compiled_for(name) for name in values} == before


@pytest.mark.django_db
def test_kept_status_filtered_sql_draws_what_newly_composed_sql_draws(people, monkeypatch):
    district = people["users"]["district"]
    make_incident(people["zones"], ZUMIAO_GRID, status="closed", lon=113.0202, lat=23.0051)
    query = {"status": "open"}
    incident_tiles.KEPT_SQL.clear()
    for layer_name, z in (("incidents", 16), ("incidents", 10), ("zones", 12)):
        render_tile(LAYERS[layer_name], _tile(z), _request(district, query))  # keeps the SQL
    kept = {z: render_tile(LAYERS[name], _tile(z), _request(district, query))
            for name, z in (("incidents", 16), ("incidents", 10), ("zones", 12))}
    incident_tiles.KEPT_SQL.clear()
    monkeypatch.setattr(incident_tiles, "_kept_filter_key", lambda request: None)  # composed per request
    composed = {z: render_tile(LAYERS[name], _tile(z), _request(district, query))
                for name, z in (("incidents", 16), ("incidents", 10), ("zones", 12))}
    assert kept == composed and kept[16]
    everything = render_tile(LAYERS["incidents"], _tile(16), _request(district))
    assert everything != kept[16]  # the closed incident is drawn unfiltered, not under status=open


@pytest.mark.django_db
def test_kept_sql_draws_what_newly_composed_sql_draws(people):
    """A tile from kept SQL is the tile of SQL composed for this request, byte for byte, for
    points, clusters and zone counts, with an incident that became overdue after the SQL was kept."""
    from datetime import timedelta

    from django.utils import timezone

    district = people["users"]["district"]
    cases = (("incidents", 16), ("incidents", 10), ("zones", 12))
    incident_tiles.KEPT_SQL.clear()
    for layer_name, z in cases:
        render_tile(LAYERS[layer_name], _tile(z), _request(district))  # keeps the SQL
    late = make_incident(people["zones"], ZUMIAO_GRID, status="dispatched", lon=113.0203, lat=23.0049)
    type(late).objects.filter(pk=late.pk).update(response_deadline=timezone.now() + timedelta(milliseconds=50))
    time.sleep(0.1)  # its deadline passes after the SQL was kept
    kept = {case: render_tile(LAYERS[case[0]], _tile(case[1]), _request(district)) for case in cases}
    incident_tiles.KEPT_SQL.clear()
    composed = {case: render_tile(LAYERS[case[0]], _tile(case[1]), _request(district)) for case in cases}
    assert kept == composed and all(kept.values())
    points = mapbox_vector_tile.decode(kept[("incidents", 16)])["incidents"]["features"]
    assert {f["id"]: f["properties"]["overdue"] for f in points}[late.pk] is True
    clusters = mapbox_vector_tile.decode(kept[("incidents", 10)])["incidents"]["features"]
    assert sum(f["properties"]["overdue"] for f in clusters) == 2
    zones = mapbox_vector_tile.decode(kept[("zones", 12)])["zones"]["features"]
    assert {f["properties"]["code"]: f["properties"]["overdue"] for f in zones}["440604001"] == 2


class _SettingsLayer(Layer):
    """Answers the settings its statement ran with instead of a tile."""

    def sql(self, tile, request):
        return ("SELECT convert_to(current_setting('jit') || '/' || "
                "current_setting('max_parallel_workers_per_gather'), 'UTF8')"), {}


@pytest.mark.django_db(transaction=True)
def test_render_settings_hold_for_the_tile_statement_only():
    """One round trip without BEGIN/COMMIT: in autocommit `SET LOCAL` still binds the tile
    statement (the implicit transaction of one query string) and nothing after it."""
    assert connection.get_autocommit()
    assert render_tile(_SettingsLayer("settings"), Tile(0, 0, 0), None) == b"off/0"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')")
        assert cursor.fetchone() != ("off", "0")


@pytest.mark.django_db
def test_everyone_who_sees_everything_shares_one_visibility_digest_compiled_once_per_process(people, monkeypatch):
    from django.contrib.auth import get_user_model

    from gridops.incidents.selectors import incidents_visible_to

    district, town = people["users"]["district"], people["users"]["nanzhuang"]
    root = get_user_model().objects.create_superuser("tile-root", password="x")
    # The digest is still that of the caller's own visibility SQL, as before the shortcut.
    expected = {user.pk: incident_tiles._digest_of(incidents_visible_to(user)) for user in (district, town, root)}
    incident_tiles._everything_digest.cache_clear()
    compiles = []
    original = incident_tiles.compiled
    monkeypatch.setattr(incident_tiles, "compiled", lambda qs: compiles.append(qs) or original(qs))

    for user in (district, root, district):
        assert incident_tiles.visibility_key(_request(user)) == expected[user.pk][:16]
    assert len(compiles) == 1  # "every incident", once for the process
    assert expected[district.pk] == expected[root.pk]
    # A jurisdiction with a condition is compiled for each request, and is its own key.
    assert incident_tiles.visibility_key(_request(town)) == expected[town.pk][:16] != expected[district.pk][:16]
    incident_tiles.visibility_key(_request(town))
    assert len(compiles) == 3


@pytest.mark.django_db
def test_a_kept_filter_with_a_datetime_of_its_own_is_refused(people, monkeypatch):
    """`_NOW` is the only datetime kept SQL may hold: a filter such as `since`, were it listed as
    query-string-only, would be taken for "now" at every render, so keeping it fails loudly."""
    from gridops.incidents.filters import IncidentFilter

    monkeypatch.setattr(IncidentFilter, "QUERY_STRING_ONLY", frozenset({"status", "since"}))
    incident_tiles.KEPT_SQL.clear()
    with pytest.raises(ValueError, match="datetime other than now"):
        LAYERS["incidents"].sql(_tile(16), _request(people["users"]["district"], {"since": "2026-01-01"}))
