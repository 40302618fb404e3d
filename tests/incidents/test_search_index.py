"""The address search (`?q=`, `address__icontains`) can be served by the trigram index.

Test tables are tiny, so the planner would scan them whatever indexes exist; with sequential
scans switched off for the statement, a plan that still cannot use the index shows that the
index's expression does not match the query's (UPPER(address) on both sides).
"""
import pytest
from django.db import connection, transaction

from gridops.incidents.models import Incident
from gridops.incidents.selectors import incidents_search

pytestmark = pytest.mark.django_db


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_address_search_uses_the_trigram_index():
    assert "incident_address_trgm" in _plan(Incident.objects.filter(address__icontains="紫洞路"))


def test_the_operators_search_reaches_the_trigram_index():
    assert "incident_address_trgm" in _plan(incidents_search(Incident.objects.all(), "紫洞路"))
