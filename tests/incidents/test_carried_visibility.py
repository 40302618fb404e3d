"""What a cached token user carries about its visibility (`jurisdiction.preload_co_reported`,
`tiles.preload_visibility_digest`): the same answers as a user read afresh from the database, no
query for co-reported ids on a warm tile, a merge that makes someone a co-reporter refreshing
what they carry, and a cached user stored by other code read as a miss (`tokens.code_digest`)."""
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from gridops.core import tokens
from gridops.incidents import jurisdiction
from gridops.incidents import tiles as incident_tiles
from gridops.incidents.selectors import incidents_visible_to
from gridops.incidents.services.lifecycle import incident_merge
from tests.geodata.test_tiles import tile_of
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, build_people, make_incident

pytestmark = pytest.mark.django_db

CO_REPORTERS_TABLE = "incidents_incident_co_reporters"


@pytest.fixture
def people():
    return build_people()


def _fresh(user):
    """The user as a session request loads it: from the database, carrying nothing."""
    return get_user_model().objects.select_related("profile", "profile__zone").get(pk=user.pk)


def _cached(user):
    tokens._held.clear()
    key = Token.objects.get_or_create(user=user)[0].key
    return tokens.user_for_token(key), key


def test_every_role_carries_the_digest_and_the_co_reported_ids_a_fresh_user_computes(people):
    merged_into = make_incident(people["zones"], ZUMIAO_GRID)
    for name, user in people["users"].items():
        merged_into.co_reporters.add(user)
    for name, user in people["users"].items():
        carried, _key = _cached(user)
        fresh = _fresh(user)
        assert getattr(carried, jurisdiction.CO_REPORTED) == [merged_into.pk], name
        assert (getattr(carried, incident_tiles._VISIBILITY_DIGEST)
                == incident_tiles._digest_of_visible(incidents_visible_to(fresh))), name
        assert (set(incidents_visible_to(carried).values_list("pk", flat=True))
                == set(incidents_visible_to(fresh).values_list("pk", flat=True))), name


def test_a_town_operators_warm_tile_asks_nothing_about_co_reports_or_the_token_and_compiles_nothing(
        people, monkeypatch):
    operator = people["users"]["zumiao"]
    incident = make_incident(people["zones"], ZUMIAO_GRID)
    _user, key = _cached(operator)
    x, y = tile_of(incident.point.x, incident.point.y, 16)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    first = client.get(f"/tiles/incidents/16/{x}/{y}.pbf")
    assert first.status_code == 200
    compiles = []
    original = incident_tiles.compiled
    monkeypatch.setattr(incident_tiles, "compiled", lambda qs: compiles.append(qs) or original(qs))
    with CaptureQueriesContext(connection) as queries:
        again = client.get(f"/tiles/incidents/16/{x}/{y}.pbf", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert not compiles  # the visibility digest came with the token user
    assert not [q for q in queries.captured_queries
                if CO_REPORTERS_TABLE in q["sql"] or "authtoken_token" in q["sql"]], queries.captured_queries


def test_a_merge_refreshes_what_its_new_co_reporter_carries(people):
    citizen, operator = people["users"]["citizen"], people["users"]["district"]
    original = make_incident(people["zones"], NANZHUANG_GRID)
    duplicate = make_incident(people["zones"], NANZHUANG_GRID, reporter=citizen, status="reported")
    before, key = _cached(citizen)
    assert not incidents_visible_to(before).filter(pk=original.pk).exists()
    digest_before = getattr(before, incident_tiles._VISIBILITY_DIGEST)

    incident_merge(user=operator, incident_id=duplicate.pk, into_id=original.pk, version=duplicate.version)

    after = tokens.user_for_token(key)
    assert getattr(after, jurisdiction.CO_REPORTED) == [original.pk]
    assert incidents_visible_to(after).filter(pk=original.pk).exists()
    assert getattr(after, incident_tiles._VISIBILITY_DIGEST) != digest_before


def test_removing_a_co_reporter_refreshes_it_too(people):
    citizen = people["users"]["citizen"]
    incident = make_incident(people["zones"], NANZHUANG_GRID)
    incident.co_reporters.add(citizen)
    carried, key = _cached(citizen)
    assert getattr(carried, jurisdiction.CO_REPORTED) == [incident.pk]
    citizen.co_reported_incidents.remove(incident)  # the reverse side names the user itself
    assert getattr(tokens.user_for_token(key), jurisdiction.CO_REPORTED) == []
    for clear in (incident.co_reporters.clear, citizen.co_reported_incidents.clear):
        incident.co_reporters.add(citizen)
        assert getattr(tokens.user_for_token(key), jurisdiction.CO_REPORTED) == [incident.pk]  # cached again
        clear()
        assert getattr(tokens.user_for_token(key), jurisdiction.CO_REPORTED) == []


def test_the_merge_forgets_again_after_commit(people, django_capture_on_commit_callbacks):
    """A request that read the old rows between the change and its commit must not leave them cached."""
    citizen = people["users"]["citizen"]
    incident = make_incident(people["zones"], NANZHUANG_GRID)
    _carried, key = _cached(citizen)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident.co_reporters.add(citizen)
        stale = tokens.user_for_token(key)  # cached in between (here it already sees the new row)
        setattr(stale, jurisdiction.CO_REPORTED, [])
        tokens._held.clear()
        cache.set(tokens._cache_key(key), stale, 60)  # as if it had read a lagging copy
    assert callbacks
    for callback in callbacks:
        callback()
    assert getattr(tokens.user_for_token(key), jurisdiction.CO_REPORTED) == [incident.pk]


def test_a_user_cached_by_other_code_reads_as_a_miss_and_old_code_still_reads_a_user(people):
    worker = people["users"]["worker_zm"]
    carried, key = _cached(worker)
    cache_key = tokens._cache_key(key)
    stored = cache.get(cache_key)
    # The value is the user itself (code before the digest reads it as it always did: a rolling
    # deploy), with the digest of the code that built it as an attribute.
    assert isinstance(stored, get_user_model()) and stored.is_authenticated
    assert getattr(stored, tokens._CODE_DIGEST) == tokens.code_digest()
    for digest in ("an-older-deploy", None):
        stale = get_user_model().objects.get(pk=worker.pk)
        if digest:
            setattr(stale, tokens._CODE_DIGEST, digest)
        cache.set(cache_key, stale, 60)
        tokens._held.clear()
        with CaptureQueriesContext(connection) as queries:
            reread = tokens.user_for_token(key)
        assert reread.pk == worker.pk and hasattr(reread, jurisdiction.CO_REPORTED)
        assert any("authtoken_token" in q["sql"] for q in queries.captured_queries)
        assert getattr(cache.get(cache_key), tokens._CODE_DIGEST) == tokens.code_digest()


def test_what_a_token_user_carries_is_read_from_the_primary(people, monkeypatch):
    """A tile's token is checked inside the view, where an anonymous request already reads the
    replica; the preloaded rows are kept for a minute and for every view, so they come from the
    primary (a standby's lagging copy would outlive the forget that follows a merge)."""
    from django.db import DEFAULT_DB_ALIAS
    from django.test import RequestFactory

    from gridops.core import dbrouter

    monkeypatch.setattr(dbrouter, "replica_configured", lambda: True)
    request = RequestFactory().get("/tiles/incidents/16/1/1.pbf")
    from django.contrib.auth.models import AnonymousUser
    request.user = AnonymousUser()
    scope = dbrouter._Scope()
    scope.request = request
    seen = []
    monkeypatch.setattr(tokens, "user_preloaders", [lambda user: seen.append(dbrouter.read_alias())])
    token = dbrouter._scope.set(scope)
    try:
        assert dbrouter.read_alias() == dbrouter.REPLICA  # the view's own reads
        tokens._held.clear()
        key = Token.objects.get_or_create(user=people["users"]["zumiao"])[0].key
        cache.delete(tokens._cache_key(key))
        assert tokens.user_for_token(key) is not None
    finally:
        dbrouter._scope.reset(token)
    assert seen == [DEFAULT_DB_ALIAS]
