"""The planner page in headless Chromium: coloured catchments, legend, side panel and a what-if."""
import pytest
from django.urls import reverse

from gridops.accounts.models import Role
from tests.browser_support import screenshot

from tests.builders import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_page_permissions(client, edu):
    url = reverse("education-planner")
    assert client.get(url).status_code == 302
    client.force_login(make_user("op", Role.DISTRICT_OPERATOR))
    assert client.get(url).status_code == 403
    client.force_login(make_user("pl", Role.PLANNER))
    page = client.get(url)
    assert page.status_code == 200 and "planner.js" in page.content.decode()


def _click_latlng(page, lat, lon):
    point = page.evaluate(f"(() => {{ const p = window.eduMap.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y]; }})()")
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])


def test_planner_page_colours_catchments_and_runs_a_whatif(edu, new_context):
    planner = make_user("map-planner", Role.PLANNER)
    page = new_context(user=planner).new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(reverse("education-planner"))
    page.wait_for_selector("body[data-loaded=catchments]")
    page.wait_for_timeout(300)  # let Leaflet finish painting before the screenshot
    fills = page.eval_on_selector_all("path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))")
    assert {"#b2182b", "#1a9641"} <= set(fills)  # P1/P3 short by >10 %, P2 in surplus by >10 %
    assert "±3%" in page.inner_text(".legend")
    assert "720" in page.inner_text("#totals")
    screenshot(page, "education-planner")
    # What-if: P2 takes grid g2 from P1.
    page.click("#whatif-box summary")
    page.click("#whatif-start")
    page.wait_for_selector("body[data-loaded=catchments][data-grids=loaded]")
    _click_latlng(page, 23.018, 113.038)   # P2's catchment (g4), off its school marker
    _click_latlng(page, 23.002, 113.038)   # grid g2
    page.click("#whatif-run")
    page.wait_for_selector("body[data-loaded=whatif]")
    result = page.inner_text("#whatif-result")
    assert "(2)" in result and "祖庙第一小学" in result and "祖庙第二小学" in result
    screenshot(page, "education-planner-whatif")
    assert errors == []
