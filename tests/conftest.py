"""Shared fixtures: the real PostGIS test database (pytest-django) and inline geometries."""
import pytest

from tests.builders import build_tiny_district

pytest_plugins = ["tests.browser_support"]


@pytest.fixture
def tiny_district(db):
    """Two towns (南庄镇 west, 祖庙街道 east), four micro-grids; see tests/builders.py."""
    return build_tiny_district()
