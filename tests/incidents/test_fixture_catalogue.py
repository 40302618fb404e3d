"""The shipped catalogue (fixtures/catalogue/) validates cleanly: 18 departments, 17 categories, 1894 types."""
import pytest

from gridops.incidents.catalogue import DEMO_DIR, import_catalogue

pytestmark = pytest.mark.django_db


def test_shipped_catalogue_is_valid():
    report = import_catalogue(DEMO_DIR)
    assert report.problems == []
    assert report.counts["departments"]["created"] == 18
    assert report.counts["categories"]["created"] == 17
    assert report.counts["event_types"]["created"] == 1894
