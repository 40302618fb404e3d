import pytest

from .world import BASE_YEAR, build_screen_world


@pytest.fixture
def world(db, settings):
    settings.GRIDOPS_EDUCATION_BASE_YEAR = BASE_YEAR
    settings.GRIDOPS_EDUCATION_MIGRATION = {"hukou": 0.0, "non_hukou": 0.0, "towns": {}}
    return build_screen_world()
