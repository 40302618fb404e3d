"""Emergency response in real headless Chromium against uvicorn + Redis + PostGIS (issue 17).

An operator draws an emergency area on the console (Leaflet.draw); the tablet of the worker
whose micro-grid it covers shows the task, the other worker's does not; the acknowledgement and
the set-off appear on the console's board live. No timing is asserted here (bench/ records
latency); every wait is bounded and waits for a condition in the page.
"""
import pytest

from gridops.emergency.models import Emergency
from tests.browser_support import screenshot

from .test_console_tablet import WAIT_MS, open_console, open_tablet, people  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

# Round 祖庙 grid 1 (113.02-113.04 E, 23.00-23.01 N), inside it.
CORNERS = [(113.025, 23.002), (113.035, 23.002), (113.035, 23.008), (113.025, 23.008)]


def map_click(page, lon, lat):
    x, y = page.evaluate(f"(() => {{ const m = window.gridopsConsole.map; const p = m.latLngToContainerPoint([{lat}, {lon}]);"
                         f" const r = m.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }})()")
    # As a hand does: move there, press, release (Leaflet.draw follows the pointer with a marker).
    page.mouse.move(x, y, steps=4)
    page.mouse.down()
    page.mouse.up()


def test_drawn_emergency_reaches_the_tablets_inside_and_acknowledgements_reach_the_console(people, new_context):  # noqa: F811
    console = open_console(new_context, people["users"]["district"])
    _, inside = open_tablet(new_context, "worker_zm")
    _, outside = open_tablet(new_context, "worker_nz")
    console.click("#em-declare-open")
    console.fill("#em-form input[name=title]", "祖庙内涝")
    console.select_option("#em-form select[name=kind]", "flood")
    console.click(".leaflet-draw-draw-polygon")
    for lon, lat in CORNERS:
        map_click(console, lon, lat)
    map_click(console, *CORNERS[0])  # the first corner again closes the area
    with console.expect_response(lambda r: r.url.endswith("/api/v1/emergencies/") and r.request.method == "POST") as info:
        console.click("#em-submit")
    assert info.value.status == 201, info.value.text()
    emergency = Emergency.objects.get()
    assert emergency.area_source == "polygon" and emergency.tasks.count() == 1

    card = inside.locator(f"#emergency-tasks li[data-task-id='{emergency.tasks.get().pk}']")
    card.wait_for(timeout=WAIT_MS)
    assert "祖庙内涝" in card.inner_text() and "应急任务" in card.inner_text()  # Chinese by default
    screenshot(inside, "tablet-emergency-task")
    console.wait_for_selector("#em-board tr[data-status=notified]", timeout=WAIT_MS)
    card.locator("button[data-to=acknowledged]").click()
    console.wait_for_selector("#em-board tr[data-status=acknowledged]", timeout=WAIT_MS)
    inside.locator("#emergency-tasks li[data-status=acknowledged] button[data-to=on_the_way]").click()
    console.wait_for_selector("#em-board tr[data-status=on_the_way]", timeout=WAIT_MS)
    console.wait_for_function("document.getElementById('em-counts').textContent.includes('正在前往 1')", timeout=WAIT_MS)
    screenshot(console, "console-emergency-board")
    # The worker outside the area was never tasked: by now their tablet has heard everything it will.
    assert outside.locator("#emergency-tasks li").count() == 0
    assert emergency.tasks.get().status == "on_the_way"
