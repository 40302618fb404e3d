"""The database router (gridops/core/dbrouter.py) against two real aliases on the test database
(`replica` is a TEST MIRROR of `default`): which connection each read of a request goes to."""
import pytest
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gridops.accounts.models import Profile
from gridops.core import dbrouter
from gridops.incidents.models import Incident
from gridops.realtime.models import Event
from tests.realtime.users import build_people, signed_in

pytestmark = pytest.mark.django_db(databases=["default", "replica"])

KPIS = "realtime-kpis"


def _incident_reads(alias: str, client) -> int:
    """GET the KPI strip; how many statements read incidents on `alias`."""
    with CaptureQueriesContext(connections[alias]) as queries:
        response = client.get(reverse(KPIS))
    assert response.status_code == 200
    return sum("incidents_incident" in q["sql"] for q in queries.captured_queries)


@pytest.fixture
def people():
    return build_people()["users"]


def test_without_a_replica_every_read_goes_to_the_primary(settings, people):
    settings.GRIDOPS_REPLICA_READ_VIEWS = [KPIS]
    with pytest.warns(UserWarning, match="DATABASES"):  # Django's note on overriding it; meant here
        settings.DATABASES = {"default": settings.DATABASES["default"]}
    client = signed_in(people["district"])
    assert _incident_reads("replica", client) == 0
    assert _incident_reads("default", client) > 0


def test_a_lag_tolerant_view_reads_the_replica_and_a_view_not_named_the_primary(settings, people):
    client = signed_in(people["district"])
    assert _incident_reads("replica", client) == 0  # not named: the primary
    settings.GRIDOPS_REPLICA_READ_VIEWS = [KPIS]
    assert _incident_reads("replica", client) > 0
    assert _incident_reads("default", client) == 0


def test_a_user_who_just_wrote_reads_the_primary_others_still_the_replica(settings, people):
    settings.GRIDOPS_REPLICA_READ_VIEWS = [KPIS]
    writer, other = signed_in(people["district"]), signed_in(people["nanzhuang"])
    assert _incident_reads("replica", writer) > 0
    response = writer.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302  # a successful unsafe request marks the user
    assert dbrouter.wrote_recently(people["district"].pk)
    assert _incident_reads("default", writer) > 0
    assert _incident_reads("replica", writer) == 0
    assert _incident_reads("replica", other) > 0


def test_a_refused_write_does_not_mark_the_user(settings, people):
    settings.GRIDOPS_REPLICA_READ_VIEWS = [KPIS]
    client = signed_in(people["citizen"])
    response = client.post(reverse("incident-list"), {}, content_type="application/json")
    assert response.status_code >= 400
    assert not dbrouter.wrote_recently(people["citizen"].pk)


def test_writes_authentication_transactions_and_migrations_stay_on_the_primary(people):
    assert router.db_for_write(Event) == "default"
    assert router.db_for_read(Profile) == "default"
    assert router.db_for_read(Incident) == "default"  # no request in scope
    with transaction.atomic():
        assert dbrouter.read_alias() == "default"
    assert router.allow_migrate("replica", "incidents") is False
    assert router.allow_migrate("default", "incidents") is True
