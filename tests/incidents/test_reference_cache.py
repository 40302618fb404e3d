"""Reference data from the cache with ETags, rebuilt when a row changes (issue 13)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.incidents.factories import EventTypeFactory

pytestmark = pytest.mark.django_db


def _services(client, **headers):
    return client.get(reverse("open311-services", kwargs={"fmt": "json"}), **headers)


def test_services_json_is_built_once_then_served_with_an_etag(client, world):
    first = _services(client)
    assert first.status_code == 200 and first["ETag"] and "max-age" in first["Cache-Control"]
    with CaptureQueriesContext(connection) as queries:
        again = _services(client)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert not any("incidents_eventtype" in q["sql"] and "ORDER BY" in q["sql"] for q in queries.captured_queries)
    assert _services(client, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_changed_row_is_served_at_once(client, world):
    first = _services(client)
    department = world["types"]["manhole"].department
    department.name = "城管新名称"
    department.save()
    changed = _services(client, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "城管新名称" in changed.content.decode()
    EventTypeFactory(code="0101099", name="新类型", category=world["types"]["manhole"].category,
                     department=department)
    assert "0101099" in {s["service_code"] for s in _services(client).json()}


def test_a_client_that_accepts_gzip_gets_the_same_body_compressed_under_its_own_etag(client, world):
    import gzip

    plain = _services(client)
    packed = _services(client, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content)
    # Two representations: two strong validators, and caches told the header decides.
    assert packed["ETag"] != plain["ETag"]
    for response in (plain, packed):
        assert "Accept-Encoding" in response["Vary"] and "Accept-Language" in response["Vary"]
    assert _services(client, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 304
    # A plain copy does not validate the compressed one, nor the other way round.
    assert _services(client, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 200
    assert _services(client, HTTP_IF_NONE_MATCH=packed["ETag"]).status_code == 200
    assert "Content-Encoding" not in _services(client, HTTP_ACCEPT_ENCODING="identity")


def test_a_changed_row_changes_the_compressed_body_too(client, world):
    import gzip

    before = _services(client, HTTP_ACCEPT_ENCODING="gzip")
    department = world["types"]["manhole"].department
    department.name = "压缩后也改名"
    department.save()
    after = _services(client, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert "压缩后也改名" in gzip.decompress(after.content).decode()


def test_command_centres_are_cached_with_an_etag(client, world):
    first = client.get(reverse("command-centre-list"))
    assert first.status_code == 200 and first["ETag"]
    assert client.get(reverse("command-centre-list"), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_intake_keeps_event_types_per_process_until_one_changes(world):
    """The intake path reads event types from the process's memo; a saved change is used at once."""
    from gridops.incidents.models import Source
    from gridops.incidents.services.intake import incident_report

    from .factories import NZ_POINT

    def report():
        incident, _ = incident_report(reporter=None, lon=NZ_POINT[0], lat=NZ_POINT[1], event_type="0101001",
                                      source=Source.HOTLINE)
        return incident

    first = report()
    with CaptureQueriesContext(connection) as queries:
        report()
    assert not any('FROM "incidents_eventtype"' in q["sql"] for q in queries.captured_queries)
    manhole = world["types"]["manhole"]
    manhole.resolution_hours = manhole.resolution_hours * 2
    manhole.save()
    later = report()
    assert (later.resolution_deadline - later.reported_at) > (first.resolution_deadline - first.reported_at)


def _plain_read(pk):
    """The incident as the eight-table join read it before (the oracle)."""
    from gridops.incidents.models import Incident

    return Incident.objects.select_related("event_type__department", "category", "department", "command_centre",
                                           "town", "grid", "reporter").get(pk=pk)


def _names(incident) -> tuple:
    centre = incident.command_centre
    department = incident.department
    return (incident.event_type.name, incident.event_type.department.name, incident.event_type.category.code,
            incident.category.name, department and department.name, centre and centre.name,
            incident.town.code, incident.grid and incident.grid.code)


def test_incident_reads_take_reference_rows_from_the_process_memo(world):
    """`with_related` joins the zones and the reporter only; type, category, department and centre
    come from the process's reference memo (their join cost PostgreSQL more planning than running),
    a saved change is seen at once, and a row the memo lacks still loads when touched."""
    from gridops.accounts.models import Department
    from gridops.incidents import selectors
    from gridops.incidents.models import EventType, Incident, Source
    from gridops.incidents.services.intake import incident_report

    from .factories import NZ_POINT

    incident, _ = incident_report(reporter=world["users"]["citizen"], lon=NZ_POINT[0], lat=NZ_POINT[1],
                                  event_type="0101001", source=Source.HOTLINE)
    list(selectors.with_related(Incident.objects.all()))  # the memo is loaded once per generation

    with CaptureQueriesContext(connection) as queries:
        read = selectors.with_related(Incident.objects.filter(pk=incident.pk)).get()
        names = _names(read)
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    assert "incidents_eventtype" not in sql and "accounts_department" not in sql and "geodata_zone" in sql
    assert names == _names(_plain_read(incident.pk))
    assert read.department is not None and read.event_type.code == "0101001"

    renamed = Department.objects.get(pk=read.department_id)  # a fresh row: the memo's is shared, never changed
    renamed.name = "城管改名"
    renamed.save()
    assert selectors.with_related(Incident.objects.filter(pk=incident.pk)).get().department.name == "城管改名"

    # Written without save() signals: the generation does not move, so the memo lacks it.
    unseen = EventType.objects.bulk_create([EventType(
        code="0101097", name="未入缓存", category=world["categories"]["city"], department=world["departments"]["sw"],
        response_hours=1, resolution_hours=8)])[0]
    Incident.objects.filter(pk=incident.pk).update(event_type=unseen)
    again = selectors.with_related(Incident.objects.filter(pk=incident.pk)).get()
    assert again.event_type.name == "未入缓存" and again.event_type.department.code == "sw"
