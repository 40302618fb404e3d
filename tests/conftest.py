"""Shared fixtures: the real PostGIS test database (pytest-django) and inline geometries."""
from pathlib import Path

import pytest

from tests import fuzzing  # noqa: F401  (loads the Hypothesis profile before any test module)
from tests.builders import build_tiny_district

pytest_plugins = ["tests.browser_support"]
RELIABILITY_DIR = Path(__file__).parent / "reliability"
BROWSER_DIR = Path(__file__).parent / "browser"
BROWSER_FIXTURES = {"browser", "new_context"}


@pytest.fixture
def tiny_district(db):
    """Two towns (南庄镇 west, 祖庙街道 east), four micro-grids; see tests/builders.py."""
    return build_tiny_district()


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, which the async (websocket) tests cannot share.

    The fault and load tests (tests/reliability) share one private stack per session: they are
    marked `reliability` (`pytest -m reliability` runs them alone, `-m "not reliability"` skips
    them) and kept in one xdist group, so `make test -n 2` starts that stack once, not per worker."""
    for item in items:
        if item.path.is_relative_to(RELIABILITY_DIR):
            item.add_marker(pytest.mark.reliability)
            item.add_marker(pytest.mark.xdist_group("reliability"))
        elif item.path.is_relative_to(BROWSER_DIR) or BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            # `make test` runs every test that drives Chromium in one process after the rest
            # (`-m browser`), wherever it lives (the planner's journeys are under tests/education).
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit windows are shared in Redis across tests; each test starts with none used (and
    with no cached token lookups)."""
    from gridops.core.ratelimit import reset_all

    reset_all()
    _forget_cached_token_users()


def _forget_cached_token_users():
    """Cached token lookups (gridops.core.tokens) and reference data (gridops.core.refcache: the
    responses and the rows kept per process) outlive a test's database rows; drop the former and
    move the reference generation on, which retires the latter."""
    from django.conf import settings
    from django.core.cache import cache

    from gridops.core import refcache

    client = cache._cache.get_client()
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*token-user:*", count=1000))
    if keys:
        client.delete(*keys)
    refcache.bump_now()
