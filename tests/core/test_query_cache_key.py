"""`query_cache_key`: the incident filters' cache key kept per query string (the console's warm
tiles ask with `?status=open`), equal to `cache_key` of a freshly built FilterSet."""
import pytest
from django.http import QueryDict

from gridops.core import filtersets
from gridops.core.errors import InvalidInput
from gridops.core.filtersets import cache_key, query_cache_key
from gridops.incidents.filters import IncidentFilter
from gridops.incidents.models import Incident


@pytest.fixture(autouse=True)
def empty_keys():
    filtersets._KEYS.clear()
    yield
    filtersets._KEYS.clear()


def _key(query: str, built: list) -> str:
    params = QueryDict(query)

    def build():
        built.append(query)
        return IncidentFilter(params, queryset=Incident.objects.none())

    return query_cache_key(IncidentFilter, params, build)


@pytest.mark.parametrize("query", ["status=open", "status=dispatched,reported&priority=urgent",
                                   "since=2026-11-01&until=2026-11-30", "days=7&overdue=1",
                                   "bbox=113.0,23.0,113.1,23.1&q=%E7%A5%96%E5%BA%99"])
def test_the_kept_key_is_the_built_filtersets_key_and_is_built_once(query):
    built = []
    fresh = cache_key(IncidentFilter(QueryDict(query), queryset=Incident.objects.none()))
    assert _key(query, built) == fresh
    assert _key(query, built) == fresh
    assert built == [query]  # the second answer came from the process


def test_the_same_filters_in_another_order_share_a_key():
    built = []
    assert _key("priority=urgent&status=open", built) == _key("status=open&priority=urgent", built)


def test_an_invalid_query_raises_every_time_and_is_never_kept():
    built = []
    for _ in range(2):
        with pytest.raises(InvalidInput) as raised:
            _key("status=bogus", built)
        assert raised.value.field == "status"
    assert built == ["status=bogus", "status=bogus"]
    assert not filtersets._KEYS


def test_an_overlong_query_is_answered_but_not_kept():
    built = []
    query = "q=" + "x" * 3000
    assert _key(query, built) == _key(query, built)
    assert len(built) == 2 and not filtersets._KEYS


def test_a_repeated_name_is_not_merged_with_its_last_value():
    """The memo holds every value: `status=closed` alone and after another value are two queries
    (the FilterSet reads the last one today; a future list widget must not inherit a wrong key)."""
    built = []
    _key("status=reported&status=closed", built)
    _key("status=closed", built)
    assert built == ["status=reported&status=closed", "status=closed"]
