"""Issue 19 acceptance: the command centre's big screen in headless Chromium against uvicorn.

At 1920×1080 and 3840×2160: no scrollbars, every panel inside the viewport, no two panels
overlapping, no panel's content cut off; the figures are the summary API's; a new report changes
today's count and the feed within a second (measured on the machine's one clock).
"""
import time

import pytest

from gridops.incidents.models import Source
from tests.browser_support import screenshot
from tests.incidents.factories import NANZHUANG, NZ_POINT
from tests.screen.world import BASE_YEAR, build_screen_world

from .test_console_tablet import WAIT_MS, off_loop

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1920, 1080), (3840, 2160)]
# Panels whose content is meant to be clipped: the map draws past its edges, the feed drops rows.
CLIPPING = {"p-map", "p-feed"}

LAYOUT_JS = """() => {
  const doc = document.documentElement;
  const panels = [...document.querySelectorAll('.sc-panel')].map(p => {
    const r = p.getBoundingClientRect();
    const name = [...p.classList].find(c => c.startsWith('p-'));
    return {name, x: r.left, y: r.top, r: r.right, b: r.bottom,
            overflowX: p.scrollWidth - p.clientWidth, overflowY: p.scrollHeight - p.clientHeight};
  });
  return {width: innerWidth, height: innerHeight, scrollW: doc.scrollWidth, scrollH: doc.scrollHeight,
          bodyW: document.body.scrollWidth, bodyH: document.body.scrollHeight, panels};
}"""


@pytest.fixture
def world(transactional_db, settings):
    settings.GRIDOPS_EDUCATION_BASE_YEAR = BASE_YEAR
    return build_screen_world()


def open_screen(new_context, user, size, path="/screen/"):
    page = new_context(user=user, viewport={"width": size[0], "height": size[1]}).new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(path)
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    page.wait_for_function("window.gridopsScreen.ready && !window.gridopsScreen.tilesLoading()", timeout=WAIT_MS)
    return page


def max_event_id() -> int:
    from gridops.realtime.selectors import latest_event_id

    return off_loop(latest_event_id)


def check_layout(page, size):
    assert not page.errors, page.errors
    layout = page.evaluate(LAYOUT_JS)
    assert (layout["width"], layout["height"]) == size
    assert layout["scrollW"] <= size[0] and layout["scrollH"] <= size[1], layout  # no scrollbars
    assert layout["bodyW"] <= size[0] and layout["bodyH"] <= size[1], layout
    panels = layout["panels"]
    assert len(panels) == 10
    for p in panels:
        assert 0 <= p["x"] < p["r"] <= size[0] and 0 <= p["y"] < p["b"] <= size[1], p
        assert p["r"] - p["x"] > size[0] / 10 and p["b"] - p["y"] > size[1] / 12, p  # readable, not squeezed
        if p["name"] not in CLIPPING:
            assert p["overflowX"] <= 1 and p["overflowY"] <= 1, p  # nothing cut off
    for i, a in enumerate(panels):
        for b in panels[i + 1:]:
            overlap_x = min(a["r"], b["r"]) - max(a["x"], b["x"])
            overlap_y = min(a["b"], b["b"]) - max(a["y"], b["y"])
            assert overlap_x <= 0 or overlap_y <= 0, (a, b)


def check_figures(page):
    """Every number on the wall is the summary API's (itself the KPI APIs', tests/screen)."""
    body = page.evaluate("fetch(JSON.parse(document.getElementById('screen-config').textContent).summary, "
                         "{credentials: 'same-origin'}).then(r => r.json())")
    shown = page.evaluate("[...document.querySelectorAll('[data-figure]')].map(n => [n.dataset.figure, n.dataset.value, n.textContent])")
    for path, value, text in shown:
        expected = body
        for key in path.split("."):
            expected = expected[key] if expected is not None else None
        assert value == ("" if expected is None else str(expected)), (path, value, expected)
        assert text != "–" or expected is None, (path, text)
    trend = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-trend')).getOption().series[0].data")
    assert trend == [day["total"] for day in body["incidents"]["trend"]]
    return body


def test_screen_fits_1080p_and_4k_and_is_live(world, new_context):
    users = world["users"]
    for size in SIZES:
        page = open_screen(new_context, users["screen"], size)
        check_layout(page, size)
        body = check_figures(page)
        assert body["incidents"]["today"]["total"] == 4
        assert page.inner_text("[data-figure='incidents.today.total']") == "4"
        screenshot(page, f"screen-{size[0]}x{size[1]}")
    # Live: a new report changes today's count and the feed within a second.
    page.evaluate("""() => {
      window.changes = {};
      const count = document.querySelector("[data-figure='incidents.today.total']");
      new MutationObserver(() => { if (count.textContent === '5' && !changes.count) changes.count = Date.now(); })
        .observe(count, {childList: true, characterData: true, subtree: true});
      new MutationObserver(() => {
        const first = document.querySelector('#feed li');
        if (first && first.dataset.incidentId === String(window.expectId) && !changes.feed) changes.feed = Date.now();
      }).observe(document.getElementById('feed'), {childList: true});
    }""")
    from gridops.incidents.services.intake import incident_report

    new = off_loop(lambda: incident_report(reporter=None, lon=NZ_POINT[0], lat=NZ_POINT[1], event_type="0101001",
                                           source=Source.HOTLINE, description="大屏实时测试")[0])
    committed_ms = time.time() * 1000
    page.evaluate(f"window.expectId = {new.pk}; const first = document.querySelector('#feed li');"
                  f"if (first && first.dataset.incidentId === '{new.pk}') changes.feed = changes.feed || Date.now();")
    page.wait_for_function("window.changes.count && window.changes.feed", timeout=WAIT_MS)
    changes = page.evaluate("window.changes")
    assert changes["count"] - committed_ms < 1000, changes["count"] - committed_ms
    assert changes["feed"] - committed_ms < 1000, changes["feed"] - committed_ms
    # ... and the server's figures, asked for on the event, then agree (the count stays at 5).
    page.wait_for_function(f"window.gridopsScreen.summary.event_id >= {max_event_id()} "
                           "&& window.gridopsScreen.summary.incidents.today.total === 5", timeout=WAIT_MS)
    assert page.inner_text("[data-figure='incidents.today.total']") == "5"
    check_layout(page, SIZES[-1])
    check_figures(page)


def test_town_screen_shows_only_its_town(world, new_context):
    page = open_screen(new_context, world["users"]["nz_screen"], SIZES[0])
    check_layout(page, SIZES[0])
    body = check_figures(page)
    assert body["zone"]["code"] == NANZHUANG
    towns = page.evaluate("[...document.querySelectorAll('#feed li .z')].map(n => n.textContent)")
    assert towns and set(towns) == {"南庄镇"}
    assert "南庄镇" in page.inner_text("#sc-title")
