import pytest

from .factories import build_world


@pytest.fixture
def world(tiny_district):
    return build_world(tiny_district)
