"""Boundary generations (issue 18): a redrawn grid (3 grids split, 2 merged) is imported as a new
generation beside the old one; incidents keep the chain they were located in; KPIs add up through
the area-weighted crosswalk; the zones API, tiles, locate and the OGC collections serve the current
generation unless asked for another.

The grid: one town, area and village over six micro-grids side by side, 0.01° wide each.

    113.00  113.01  113.02  113.03  113.04  113.05  113.06
 23.02 +-------+-------+-------+-------+-------+-------+
       |  001  |  002  |  003  |  004  |  005  |  006  |     generation 1
 23.00 +-------+-------+-------+-------+-------+-------+

 23.02 +-------+-------+-------+---------------+-------+
       |  007  |  008  |  009  |               |       |     generation 2: 001-003 split
 23.01 +-------+-------+-------+      004      +  006  +     (north halves new codes),
       |  001  |  002  |  003  |               |       |     004 + 005 merged as 004,
 23.00 +-------+-------+-------+---------------+-------+     006 unchanged
"""
import datetime
import json

import geopandas as gpd
import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from shapely.geometry import box

from geodata import crosswalk
from geodata.loaders import zones as loader
from geodata.models import Generation, Level, Zone
from geodata.selectors import locate_point
from gridops.incidents import kpis
from gridops.incidents.models import Incident
from gridops.incidents.services.intake import incident_report
from tests.builders import make_user
from tests.incidents.factories import EventTypeFactory

pytestmark = pytest.mark.django_db

TOWN, AREA, VILLAGE = "440604001", "44060400101", "44060400101001"
G = {n: f"{VILLAGE}{n:03d}" for n in range(1, 10)}
WEST, EAST, SOUTH, NORTH, MID = 113.00, 113.06, 23.00, 23.02, 23.01
FIRST_DAY, REDRAW_DAY = datetime.date(2026, 1, 1), datetime.date(2026, 7, 1)


def cell(n: int, y0: float = SOUTH, y1: float = NORTH, width: int = 1):
    return box(WEST + (n - 1) * 0.01, y0, WEST + (n - 1 + width) * 0.01, y1)


def layer(rows: list[tuple[str, str, object]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": [r[0] for r in rows], "name": [r[1] for r in rows],
                             "residents": [100] * len(rows)}, geometry=[r[2] for r in rows], crs=4326)


def write_first(tmp_path):
    folder = tmp_path / "g1"
    folder.mkdir()
    whole = box(WEST, SOUTH, EAST, NORTH)
    for name, rows in {"district": [("440604", "禅城区", whole)], "town": [(TOWN, "祖庙街道", whole)],
                       "area": [(AREA, "一片区", whole)], "village": [(VILLAGE, "一社区", whole)],
                       "grid": [(G[n], f"第{n}网格", cell(n)) for n in range(1, 7)]}.items():
        layer(rows).to_file(folder / f"{name}.geojson", driver="GeoJSON", engine="pyogrio")
    return folder


def write_redraw(tmp_path):
    rows = [(G[n], f"第{n}网格南", cell(n, SOUTH, MID)) for n in (1, 2, 3)]
    rows += [(G[n + 6], f"第{n}网格北", cell(n, MID, NORTH)) for n in (1, 2, 3)]
    rows += [(G[4], "第4网格(合并)", cell(4, width=2)), (G[6], "第6网格", cell(6))]
    path = tmp_path / "grid-2026.geojson"
    layer(rows).to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


@pytest.fixture
def first(tmp_path):
    report = loader.run(write_first(tmp_path), level="all", commit=True, valid_from=FIRST_DAY)
    assert report.ok and report.committed and not report.redraw, report.lines()
    return Generation.objects.get()


@pytest.fixture
def redrawn(tmp_path, first, capsys):
    call_command("import_zones", str(write_redraw(tmp_path)), "--level", "grid", "--commit",
                 "--valid-from", REDRAW_DAY.isoformat(), "--description", "2026 redraw")
    out = capsys.readouterr().out
    assert "new generation: keep 1, replace 4, add 3, carry 0 under redrawn parents, retire 1" in out, out
    return Generation.objects.get(valid_to__isnull=True)


@pytest.fixture
def event_type():
    return EventTypeFactory()


def report_at(event_type, lon, lat, **extra):
    incident, created = incident_report(reporter=None, lon=lon, lat=lat, event_type=event_type.code,
                                        source="citizen", **extra)
    assert created
    return incident


def chain(incident: Incident) -> list[str]:
    return [incident.town.code, incident.area.code, incident.village.code, incident.grid.code]


def test_dry_run_of_a_redraw_says_so_and_writes_nothing(tmp_path, first):
    report = loader.run(write_redraw(tmp_path), level="grid")
    assert report.ok and not report.committed
    assert "would open a new generation: keep 1, replace 4, add 3" in "\n".join(report.lines())
    assert Generation.objects.count() == 1 and Zone.objects.filter(level=Level.GRID).count() == 6


def test_redraw_is_a_new_generation_and_the_old_one_stays(first, redrawn):
    first.refresh_from_db()
    assert (first.valid_from, first.valid_to) == (FIRST_DAY, REDRAW_DAY)
    assert (redrawn.valid_from, redrawn.valid_to, redrawn.description) == (REDRAW_DAY, None, "2026 redraw")
    current = set(Zone.objects.filter(level=Level.GRID).values_list("code", flat=True))
    assert current == {G[n] for n in (1, 2, 3, 4, 6, 7, 8, 9)}
    old = set(Zone.objects.in_generation(first).filter(level=Level.GRID).values_list("code", flat=True))
    assert old == {G[n] for n in range(1, 7)}
    # Unchanged zones are the same row in both generations (nothing pointing at them moves).
    assert Zone.objects.get(code=G[6]).pk == Zone.objects.in_generation(first).get(code=G[6]).pk
    village = Zone.objects.get(code=VILLAGE)
    assert village.generation_low_id == first.pk and village.generation_high_id is None
    # New zones hang under parents of their own generation; replaced ones were closed, not rewritten.
    assert set(Zone.objects.filter(level=Level.GRID).values_list("parent_id", flat=True)) == {village.pk}
    old_g4 = Zone.objects.in_generation(first).get(code=G[4])
    assert old_g4.generation_high_id == first.pk and old_g4.geom.equals(Zone.objects.get(code=G[4]).geom) is False
    assert Zone.objects.get(code=G[4]).area_m2 == pytest.approx(2 * old_g4.area_m2, rel=1e-3)
    # The population roll-up counts the current grids only (6 → 8 grids of 100 residents each).
    assert village.residents == 800


def test_reimporting_the_same_grid_is_not_a_redraw(tmp_path, redrawn):
    report = loader.run(write_redraw(tmp_path), level="grid", commit=True)
    assert report.ok and report.committed and not report.redraw and report.updated == 8
    assert Generation.objects.count() == 2


def test_incident_keeps_its_chain_and_a_new_one_gets_the_new_chain(tmp_path, first, event_type):
    north_of_2 = (113.015, 23.015)
    before = report_at(event_type, *north_of_2)
    assert chain(before) == [TOWN, AREA, VILLAGE, G[2]]
    old_grid_id = before.grid_id
    call_command("import_zones", str(write_redraw(tmp_path)), "--level", "grid", "--commit",
                 "--valid-from", REDRAW_DAY.isoformat())
    before.refresh_from_db()
    assert before.grid_id == old_grid_id and chain(before) == [TOWN, AREA, VILLAGE, G[2]]
    assert before.grid.generation_high_id == first.pk  # the old row, closed, geometry untouched
    assert before.grid.geom.contains(before.point) and before.grid.area_m2 > 1.5 * Zone.objects.get(code=G[2]).area_m2
    after = report_at(event_type, *north_of_2)
    assert chain(after) == [TOWN, AREA, VILLAGE, G[8]]
    assert after.grid.generation_low_id != first.pk and after.village_id == before.village_id
    # A report replayed with its original time is located on the grid of that time.
    replayed = report_at(event_type, *north_of_2,
                         reported_at=datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.timezone.utc))
    assert replayed.grid_id == old_grid_id


def test_locate_takes_a_generation_or_a_date(client, first, redrawn):
    point = (113.045, 23.015)  # old grid 5, merged into 4
    assert locate_point(*point).grid.code == G[4]
    assert locate_point(*point, generation=first).grid.code == G[5]
    url = reverse("locate")
    assert client.get(url, {"lon": point[0], "lat": point[1]}).json()["grid"]["code"] == G[4]
    assert client.get(url, {"lon": point[0], "lat": point[1], "generation": first.pk}).json()["grid"]["code"] == G[5]
    assert client.get(url, {"lon": point[0], "lat": point[1], "date": "2026-06-30"}).json()["grid"]["code"] == G[5]
    assert client.get(url, {"lon": point[0], "lat": point[1], "date": "2026-07-01"}).json()["grid"]["code"] == G[4]
    batch = client.post(f"{url}?generation={first.pk}", {"points": [list(point)]}, content_type="application/json")
    assert batch.json()["results"][0]["grid"]["code"] == G[5]
    for params, field in [({"generation": "x"}, "generation"), ({"date": "2026-13-01"}, "date"),
                          ({"generation": first.pk, "date": "2026-01-01"}, "date")]:
        answer = client.get(url, {"lon": point[0], "lat": point[1], **params})
        assert answer.status_code == 400 and answer.json()["error"]["field"] == field
    for unknown in ("99", "9" * 30):  # a number past bigint is unknown too, not a database error
        assert client.get(url, {"lon": point[0], "lat": point[1], "generation": unknown}).status_code == 404


def test_locate_of_each_generation_is_the_sql_of_that_generation(first, redrawn):
    from django.db import connection

    from geodata.selectors.locate import LOCATE_ONE_IN_GENERATION_SQL
    from geodata.selectors.locate_index import index_for

    points = [(WEST + x * 0.0025, SOUTH + y * 0.0025) for x in range(-1, 26) for y in range(-1, 10)]
    for generation in (first, redrawn):
        index = index_for(generation)
        with connection.cursor() as cursor:
            for lon, lat in points:
                cursor.execute(LOCATE_ONE_IN_GENERATION_SQL, [generation.pk, generation.pk, lon, lat])
                assert index.row(lon, lat) == cursor.fetchone(), (generation.pk, lon, lat)
    assert index_for(first).row(113.045, 23.015)[29] == G[5] and index_for(redrawn).row(113.045, 23.015)[29] == G[4]


def test_zones_api_serves_the_current_generation_unless_asked(client, first, redrawn):
    codes = lambda answer: sorted(f["properties"]["code"] for f in json.loads(answer.content)["features"])  # noqa: E731
    listing = reverse("zone-list")
    assert codes(client.get(listing, {"level": "grid"})) == sorted(G[n] for n in (1, 2, 3, 4, 6, 7, 8, 9))
    assert codes(client.get(listing, {"level": "grid", "generation": first.pk})) == sorted(G[n] for n in range(1, 7))
    assert codes(client.get(reverse("zone-children", args=[VILLAGE]), {"date": "2026-02-01"})) == \
        sorted(G[n] for n in range(1, 7))
    assert client.get(reverse("zone-detail", args=[G[5]])).status_code == 404
    old = json.loads(client.get(reverse("zone-detail", args=[G[5]]), {"generation": first.pk}).content)
    assert [z["code"] for z in old["properties"]["chain"]] == ["440604", TOWN, AREA, VILLAGE, G[5]]
    detail = json.loads(client.get(reverse("zone-detail", args=[VILLAGE])).content)
    assert detail["properties"]["children"] == 8
    generations = client.get(reverse("zone-generations")).json()["generations"]
    assert [(g["id"], g["current"], g["valid_from"], g["valid_to"]) for g in generations] == [
        (first.pk, False, "2026-01-01", "2026-07-01"), (redrawn.pk, True, "2026-07-01", None)]


def test_ogc_zone_collection_serves_the_current_generation_unless_asked(client, first, redrawn):
    url = "/ogc/collections/micro-grids/items"
    assert client.get(url).json()["numberMatched"] == 8
    assert client.get(url, {"generation": first.pk}).json()["numberMatched"] == 6
    assert client.get(f"{url}/{G[5]}").status_code == 404
    assert client.get(f"{url}/{G[5]}", {"date": "2026-03-01"}).json()["properties"]["code"] == G[5]
    answer = client.get("/ogc/collections/command-centres/items", {"generation": first.pk})
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "generation"


def test_tiles_serve_the_current_generation_unless_asked(client, first, redrawn):
    import mapbox_vector_tile
    from django.core.cache import cache

    # Tiles are cached under their zone version (count and newest id): a fresh test database
    # repeats ids, so a tile another run cached under the same version must not answer.
    cache.clear()

    def grid_codes(**params):
        url = reverse("tile", kwargs={"layer": "zones", "z": 10, "x": 833, "y": 444})  # holds the whole village
        answer = client.get(url, {"level": "grid", **params})
        assert answer.status_code == 200, answer.content[:200]
        return {f["properties"]["code"] for f in mapbox_vector_tile.decode(answer.content)["zones"]["features"]}

    assert grid_codes() == {G[n] for n in (1, 2, 3, 4, 6, 7, 8, 9)}
    assert grid_codes(generation=first.pk) == {G[n] for n in range(1, 7)}
    assert grid_codes(date="2026-07-01") == grid_codes()


def test_kpi_over_both_generations_adds_up_through_the_crosswalk(tmp_path, first, event_type):
    points = {"g2_north": (113.015, 23.015), "g5": (113.045, 23.005), "g6": (113.055, 23.01), "g1": (113.005, 23.005)}
    for lon, lat in points.values():
        report_at(event_type, lon, lat)
    call_command("import_zones", str(write_redraw(tmp_path)), "--level", "grid", "--commit",
                 "--valid-from", REDRAW_DAY.isoformat())
    current = Generation.objects.current()
    for lon, lat in [(113.015, 23.015), (113.025, 23.005)]:  # new grid 8 and new grid 3
        report_at(event_type, lon, lat)
    admin = make_user(superuser=True)

    recorded = kpis.incident_kpis(admin, kpis.KpiQuery(group_by="grid"))
    assert recorded["overall"]["total"] == 6

    on_current = kpis.incident_kpis(admin, kpis.KpiQuery(group_by="grid", generation=current))
    totals = {g["key"]: g["total"] for g in on_current["groups"]}
    assert sum(totals.values()) == pytest.approx(6, abs=1e-6)
    # Old grid 2 (one incident) is spread over its halves by area; old grid 5 went whole into 4.
    assert totals[G[2]] == pytest.approx(0.5, abs=2e-3) and totals[G[8]] == pytest.approx(1.5, abs=2e-3)
    assert totals[G[4]] == pytest.approx(1.0) and totals[G[6]] == pytest.approx(1.0) and G[5] not in totals
    assert on_current["groups"][0]["median_resolve_hours"] is None  # medians do not cross grids

    on_first = kpis.incident_kpis(admin, kpis.KpiQuery(group_by="grid", generation=first))
    old_totals = {g["key"]: g["total"] for g in on_first["groups"]}
    assert sum(old_totals.values()) == pytest.approx(6, abs=1e-6)
    # The new incident in grid 8 lies wholly in old grid 2; the one in new grid 3 in old grid 3.
    assert old_totals[G[2]] == pytest.approx(2.0) and old_totals[G[3]] == pytest.approx(1.0)


def test_kpi_api_takes_a_generation(client, tmp_path, first, event_type):
    report_at(event_type, 113.045, 23.005)
    call_command("import_zones", str(write_redraw(tmp_path)), "--level", "grid", "--commit",
                 "--valid-from", REDRAW_DAY.isoformat())
    client.force_login(make_user(superuser=True))
    body = client.get(reverse("incident-kpis"), {"group_by": "grid", "date": "2026-08-01"}).json()
    assert [(g["key"], g["total"]) for g in body["groups"]] == [(G[4], 1.0)]
    assert body["generation"] == Generation.objects.current().pk


def test_crosswalk_weights_are_area_shares_that_sum_to_one(first, redrawn):
    old_ids = list(Zone.objects.in_generation(first).filter(level=Level.GRID).values_list("id", flat=True))
    links = crosswalk.crosswalk(old_ids)
    by_source: dict[int, float] = {}
    for link in links:
        by_source[link.source_id] = by_source.get(link.source_id, 0.0) + link.weight
    assert set(by_source) == set(old_ids) and all(w == pytest.approx(1.0, abs=1e-6) for w in by_source.values()), by_source
    old_1 = Zone.objects.in_generation(first).get(code=G[1]).pk
    shares = sorted(link.weight for link in links if link.source_id == old_1)
    assert len(shares) == 2 and shares[0] == pytest.approx(0.5, abs=2e-3)  # halves by latitude: metric areas differ a little


def test_database_refuses_two_rows_of_one_code_in_a_generation(first):
    zone = Zone.objects.get(code=G[1])
    with pytest.raises(IntegrityError), transaction.atomic():
        Zone.all_generations.create(code=G[1], name="重复", level=Level.GRID, parent_id=zone.parent_id,
                                    geom=zone.geom, generation_low=first, generation_high=first)


def test_database_refuses_to_close_a_parent_while_a_child_stays_open(first):
    with pytest.raises(IntegrityError, match="child stays valid"), transaction.atomic():
        Zone.objects.filter(code=VILLAGE).update(generation_high=first)


def test_a_partly_covered_zone_left_out_is_an_error(tmp_path, first):
    rows = [(G[4], "第4网格(扩)", box(113.03, SOUTH, 113.045, NORTH))]  # covers half of grid 5
    path = tmp_path / "partial.geojson"
    layer(rows).to_file(path, driver="GeoJSON", engine="pyogrio")
    report = loader.run(path, level="grid", commit=True)
    assert not report.committed and any(G[5] in p.feature and "cover 50%" in p.reason for p in report.errors)
    assert Generation.objects.count() == 1


def test_a_redrawn_village_carries_its_grids_to_the_new_generation(tmp_path, first):
    whole = box(WEST, SOUTH, EAST, NORTH + 0.001)  # the village (and only it) grows a little north
    path = tmp_path / "village.geojson"
    layer([(VILLAGE, "一社区", whole)]).to_file(path, driver="GeoJSON", engine="pyogrio")
    report = loader.run(path, level="village", commit=True)
    assert report.committed and "carry 6 under redrawn parents" in report.redraw, report.lines()
    village = Zone.objects.get(code=VILLAGE)
    grids = Zone.objects.filter(level=Level.GRID)
    assert grids.count() == 6 and set(grids.values_list("parent_id", flat=True)) == {village.pk}
    assert not set(grids.values_list("id", flat=True)) & set(
        Zone.objects.in_generation(first).filter(level=Level.GRID).values_list("id", flat=True))
    assert locate_point(113.005, 23.005).village.pk == village.pk
    assert locate_point(113.005, 23.005, generation=first).village.generation_high_id == first.pk


def test_assignments_move_to_the_new_zones_and_records_stay(tmp_path, first, event_type):
    from gridops.accounts.models import Role
    from gridops.education.models import School
    from gridops.incidents.models import RoutingRule

    worker = make_user(role=Role.GRID_WORKER, zone=Zone.objects.get(code=TOWN),
                       grids=list(Zone.objects.filter(code__in=[G[2], G[5]])))
    rule = RoutingRule.objects.create(event_type=event_type, zone=Zone.objects.get(code=G[5]),
                                      department=event_type.department)
    school = School.objects.create(code="S1", name="北一小学", level="primary", location="POINT(113.005 23.015)",
                                   zone=Zone.objects.get(code=G[1]))
    old_g1 = school.zone_id
    report = loader.run(write_redraw(tmp_path), level="grid", commit=True)
    assert report.committed and report.moved == {"accounts.Profile.grids": 2, "incidents.RoutingRule.zone": 1,
                                                 "education.School.zone": 1}, report.lines()
    worker.profile.refresh_from_db()
    assert worker.profile.zone.code == TOWN  # the town was not redrawn: same row, nothing to move
    # Grid 2 was split: the worker keeps both halves; grid 5 was merged into 4.
    assert sorted(worker.profile.grids.values_list("code", flat=True)) == [G[2], G[4], G[8]]
    # The through rows themselves, not the related manager (which shows current zones only).
    memberships = type(worker.profile).grids.through.objects.filter(profile=worker.profile)
    assert sorted(Zone.all_generations.filter(pk__in=memberships.values("zone_id")).values_list(
        "generation_high_id", flat=True), key=str) == [None, None, None]
    rule.refresh_from_db()
    assert rule.zone.code == G[4] and rule.zone.generation_high_id is None
    school.refresh_from_db()
    assert school.zone.code == G[7]  # a place moves by where it stands: the north half of old grid 1
    assert Zone.all_generations.get(pk=old_g1).generation_high_id == first.pk


def test_a_moved_worker_is_read_afresh_and_its_sockets_reconnect(tmp_path, first, settings,
                                                                django_capture_on_commit_callbacks):
    """The redraw moves who works where through the models, so what listens for those changes
    hears it: before, a bulk update sent no signal, the worker's cached token lookup kept the
    closed grids for up to its 60 s and its open sockets kept the audiences of the old ones."""
    from rest_framework.authtoken.models import Token

    from gridops.accounts.models import Role
    from gridops.core import tokens
    from gridops.incidents.selectors import _grid_ids
    from gridops.realtime import stream

    settings.GRIDOPS_REALTIME_PUSH_INLINE = True  # the revocation is on the stream when the commit returns
    town = Zone.objects.get(code=TOWN)
    worker = make_user(role=Role.GRID_WORKER, zone=town, grids=list(Zone.objects.filter(code=G[5])))
    operator = make_user(role=Role.TOWN_OPERATOR, zone=town)  # assigned to a zone the redraw keeps
    keys = {user.pk: Token.objects.create(user=user).key for user in (worker, operator)}
    tokens._held.clear()
    grid5 = Zone.objects.get(code=G[5]).pk
    assert _grid_ids(tokens.user_for_token(keys[worker.pk]).profile) == {grid5}  # carried
    redis = stream.client()
    last = (redis.xrevrange(stream.stream_key(), count=1) or [(b"0-0", {})])[0][0]

    with django_capture_on_commit_callbacks(execute=True):
        report = loader.run(write_redraw(tmp_path), level="grid", commit=True)
    assert report.committed and report.moved["accounts.Profile.grids"] == 1, report.lines()

    tokens._held.clear()  # this process's hold; the shared cache is what other processes read
    after = tokens.user_for_token(keys[worker.pk])
    assert _grid_ids(after.profile) == {Zone.objects.get(code=G[4]).pk}  # grid 5 was merged into 4
    through = type(after.profile).grids.through
    assert list(through.objects.filter(profile_id=after.profile.pk).values_list("zone_id", flat=True)) == [
        Zone.objects.get(code=G[4]).pk]  # the closed grid's row is gone, not only hidden
    revoked = set()
    for _id, fields in redis.xrange(stream.stream_key(), min=f"({last.decode()}"):
        decoded = stream.decode({k.decode(): v.decode() for k, v in fields.items()})
        if decoded and decoded[0] == stream.CONTROL_FIELD and decoded[1]["op"] == "revoke":
            revoked.add((decoded[1]["user"], decoded[1]["code"]))
    assert (worker.pk, 4409) in revoked
    assert not {user for user, _code in revoked} & {operator.pk}  # nothing about them moved


def test_a_redraw_that_only_renames_moves_the_reference_generation(first, django_capture_on_commit_callbacks):
    """A redraw whose zones are only kept (renamed, resized) writes them with bulk updates, which
    send no save signal: the per-process zone names the Open311 feed reads would keep the old
    names unless the commit bumps the reference generation."""
    from geodata.generations import RedrawPlan, generation_commit
    from geodata.services import ZoneRecord
    from gridops.core import refcache
    from gridops.incidents.open311.selectors import _zone_names

    grid6 = Zone.objects.get(code=G[6]).pk
    before = refcache.generation()
    assert _zone_names()[grid6] == "第6网格"
    record = ZoneRecord(code=G[6], name="第6网格(更名)", level=Level.GRID, parent_code=VILLAGE,
                        wkb=cell(6).wkb, residents=120)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        generation_commit(RedrawPlan(kept=[G[6]]), {G[6]: record}, valid_from=REDRAW_DAY, description="rename only")
    assert refcache.generation() != before
    assert _zone_names()[grid6] == "第6网格(更名)"
