"""The compiled lookup by id (`selectors.reach_statement`): `incidents_visible_to` compiled once
per user object, carried by the cached token user, dropped with it when what the user may see
changes. `test_jurisdiction.py` holds it equal to the query filter over every role and zone level."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from gridops.core.errors import NotFound
from gridops.core.tokens import user_for_token
from gridops.incidents.selectors import visible_ids
from gridops.incidents.services.lifecycle import reachable_pk
from tests.realtime.users import NANZHUANG_GRID, ZUMIAO_GRID, build_people, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return build_people()


def test_a_token_user_carries_the_compiled_reach_and_loses_it_when_its_grids_change(people):
    worker = people["users"]["worker_zm"]
    key = Token.objects.create(user=worker).key
    zumiao = make_incident(people["zones"], ZUMIAO_GRID)
    nanzhuang = make_incident(people["zones"], NANZHUANG_GRID)

    cached = user_for_token(key)
    assert cached._incident_reach_statement[0].endswith("= ANY(%s)")  # compiled when the token was cached
    with CaptureQueriesContext(connection) as queries:
        assert visible_ids(cached, [nanzhuang.pk, zumiao.pk]) == [zumiao.pk]
    assert len(queries.captured_queries) == 1 and "ANY" in queries.captured_queries[0]["sql"]

    worker.profile.grids.set([people["zones"][NANZHUANG_GRID]])  # revocation forgets the cached user
    moved = user_for_token(key)
    assert visible_ids(moved, [nanzhuang.pk, zumiao.pk]) == [nanzhuang.pk]


def test_reach_by_id_answers_404_for_what_is_out_of_reach_or_not_an_id(people):
    incident = make_incident(people["zones"], ZUMIAO_GRID)
    assert reachable_pk(people["users"]["zumiao"], str(incident.pk)) == incident.pk
    assert reachable_pk(people["users"]["admin"], incident.pk) == incident.pk
    for user, pk in ((people["users"]["nanzhuang"], incident.pk), (people["users"]["worker_nz"], incident.pk),
                     (people["users"]["citizen"], incident.pk), (people["users"]["zumiao"], 2**63),
                     (people["users"]["zumiao"], "12a"), (people["users"]["zumiao"], None)):
        with pytest.raises(NotFound):
            reachable_pk(user, pk)


def test_someone_who_sees_nothing_runs_no_statement(people):
    from django.contrib.auth.models import AnonymousUser

    incident = make_incident(people["zones"], ZUMIAO_GRID)
    with CaptureQueriesContext(connection) as queries:
        assert visible_ids(AnonymousUser(), [incident.pk]) == []
    assert not queries.captured_queries


def test_authz_answers_by_id_with_the_compiled_statement_and_agrees_with_the_scope_queryset(people):
    """`core.authz.reachable_ids` is the gate services ask (`reachable_pk`); for incidents it runs the
    compiled statement, and a scope without one filters its queryset: both give the same ids."""
    from dataclasses import replace

    from gridops.core import authz
    from gridops.incidents.models import Incident

    zumiao, nanzhuang = make_incident(people["zones"], ZUMIAO_GRID), make_incident(people["zones"], NANZHUANG_GRID)
    ids = [nanzhuang.pk, zumiao.pk, zumiao.pk + 10**6]
    generic = replace(authz.scope_of(Incident), by_ids=None)
    for name in ("admin", "zumiao", "nanzhuang", "worker_zm", "worker_nz", "citizen"):
        user = people["users"][name]
        with CaptureQueriesContext(connection) as queries:
            compiled = authz.reachable_ids(user, Incident, ids)
        assert "= ANY(" in queries.captured_queries[-1]["sql"], name  # before it: the user's profile, grids
        assert compiled == generic.ids_of(user, ids), name
    assert authz.reachable_ids(people["users"]["zumiao"], Incident, ids) == [zumiao.pk]
