"""Issue 2 acceptance: the map page shows the 921 micro-grids of the shipped dataset in 4 towns."""
import pytest

from geodata.loaders.demo import load_demo_zones
from tests.browser_support import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_zone_map_shows_the_whole_grid_and_zone_details(new_context):
    load_demo_zones(log=lambda message: None)
    page = new_context().new_page()
    page.goto("/")
    page.wait_for_selector("#map[data-ready='1']", timeout=30_000)
    assert page.inner_text("#zone-count") == "4 个镇街，共 921 个微网格"
    assert page.locator("#map path.zone-grid").count() == 921

    page.locator("#level-switch input[value='town']").check()
    page.wait_for_function("document.querySelector('#zone-count').textContent.trim() === '共 4 个镇街'")

    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)  # the west: 南庄镇
    page.wait_for_selector("#zone-info .chain li")
    assert page.inner_text("#zone-info h3") == "南庄镇"
    assert [item.inner_text() for item in page.locator("#zone-info .chain li").all()] == [
        "禅城区 (440604)", "南庄镇 (440604101)"]
    screenshot(page, "zone-map-towns")
