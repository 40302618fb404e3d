"""Issue 12 acceptance for the operators' console, in real headless Chromium against uvicorn.

An operator opens an existing incident by clicking its marker at z12 (cluster, then zoom), z14
and z16 with the mouse, and by searching its number, an address fragment and a grid name; the
panel shows both deadlines and the escalation level; for every console role and status the
panel offers exactly the moves the API allows; the list, the feed and the panel work from the
keyboard; live markers obey the filters; a town operator opens on their town. Screenshots go to
test-artifacts/console-*.png.
"""
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridops.approvals.models import Hall, HallKind
from gridops.incidents.models import Incident, Status
from gridops.incidents.services.lifecycle import incident_transition
from tests.browser_support import screenshot
from tests.realtime.users import NANZHUANG, NANZHUANG_GRID, ZUMIAO, build_people, catalogue, make_incident

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 60_000  # an upper bound for waiting on the page (a cold live server); speed is measured in bench/
TARGET = (113.006, 23.004)     # 南庄镇第1网格, far (3 km) from the decoy
DECOY = (113.034, 23.016)      # 祖庙街道第2网格


@pytest.fixture
def scene():
    people = build_people()
    catalogue()
    zones = people["zones"]
    now = timezone.now()
    target = make_incident(zones, NANZHUANG_GRID, lon=TARGET[0], lat=TARGET[1], address="南庄镇紫洞路18号",
                           dispatched_at=now - timedelta(hours=2))
    # Past its response deadline (not accepted), before its resolution deadline: escalated once.
    Incident.objects.filter(pk=target.pk).update(response_deadline=now - timedelta(minutes=30),
                                                 resolution_deadline=now + timedelta(hours=20), escalation_level=1)
    decoy = make_incident(zones, "44060400101001002", lon=DECOY[0], lat=DECOY[1], address="祖庙街道人民路3号")
    return {**people, "target": Incident.objects.get(pk=target.pk), "decoy": decoy}


def off_loop(func):
    """ORM writes that publish events run in a worker thread: Playwright's loop owns this one."""
    def run():
        try:
            return func()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def console_page(new_context, user):
    page = new_context(user=user).new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"the console asked with a browser dialog: {dialog.message}"))
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    page.goto("/console/")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    return page


def settle(page):
    page.wait_for_function("(t => t.settled === t.generation && !t.loading())(window.gridopsConsole.tiles)",
                           timeout=WAIT_MS)


# The drawn incident (or cluster) nearest to a place, and the element the pointer would hit there.
NEAREST = """([lat, lon]) => {
  const map = window.gridopsConsole.map;
  const pane = map.getPane('incidents');
  if (pane.querySelector('.leaflet-tile:not(.leaflet-tile-loaded)')) return null;
  // After a zoom, Leaflet keeps the previous level's tiles for a moment: only one level drawn.
  if ([...pane.querySelectorAll('.leaflet-tile-container')].filter((c) => c.children.length).length !== 1) return null;
  const box = map.getContainer().getBoundingClientRect();
  const at = map.latLngToContainerPoint([lat, lon]);
  let best = null;
  pane.querySelectorAll('path.leaflet-interactive').forEach((path) => {
    const r = path.getBoundingClientRect();
    if (!r.width) return;
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const d = Math.hypot(x - box.left - at.x, y - box.top - at.y);
    if (!best || d < best.d) best = { d, x, y, r: r.width / 2 };
  });
  if (!best || best.d > 24) return null;
  const top = document.elementFromPoint(best.x, best.y);
  best.top = top.tagName.toLowerCase() + (top.closest('.leaflet-incidents-pane') ? ' in incidents pane' : '');
  return best;
}"""


def click_marker(page, lon, lat):
    """Click with the mouse where the incident is drawn; the topmost element there must be it."""
    found = page.wait_for_function(NEAREST, arg=[lat, lon], timeout=WAIT_MS).json_value()
    assert found["top"] == "path in incidents pane", found   # not a map-wide canvas over the tiles
    page.mouse.click(found["x"], found["y"])
    return found


def expect_panel(page, incident):
    try:
        page.wait_for_function(f"(document.getElementById('panel-title') || {{}}).textContent?.startsWith('#{incident.id} ')",
                               timeout=WAIT_MS)
    except PlaywrightTimeout:
        state = page.evaluate("({zoom: window.gridopsConsole.map.getZoom(), panel: document.getElementById('panel').innerText})")
        pytest.fail(f"no panel for #{incident.id}: {state}, script errors {page.js_errors}")
    text = page.inner_text("#panel")
    assert "响应时限" in text and "办结时限" in text, text      # both deadlines
    assert "已超时" in text                                     # the response deadline is past
    assert "督办升级" in text and "一级：超时未响应" in text, text  # the escalation level, named
    assert page.evaluate("document.activeElement.id") == "panel-title"
    return text


def test_operator_opens_an_incident_by_clicking_it_at_z12_z14_and_z16(scene, new_context):
    page = console_page(new_context, scene["users"]["district"])
    lon, lat = TARGET
    page.evaluate(f"window.gridopsConsole.map.setView([{lat}, {lon}], 12, {{animate: false}})")
    settle(page)
    screenshot(page, "console-z12-cluster")
    cluster = click_marker(page, lon, lat)
    page.wait_for_function("window.gridopsConsole.map.getZoom() === 14", timeout=WAIT_MS)
    assert page.evaluate("document.getElementById('panel').hidden") is True, cluster  # the cluster zoomed in
    settle(page)
    click_marker(page, lon, lat)
    expect_panel(page, scene["target"])
    screenshot(page, "console-z14-clicked")
    page.keyboard.press("Escape")
    for zoom in (14, 16):
        page.evaluate(f"window.gridopsConsole.map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
        settle(page)
        click_marker(page, lon, lat)
        expect_panel(page, scene["target"])
        page.keyboard.press("Escape")
        assert page.evaluate("document.getElementById('panel').hidden") is True
    page.evaluate(f"window.gridopsConsole.map.setView([{lat}, {lon}], 16, {{animate: false}})")
    settle(page)
    click_marker(page, lon, lat)
    expect_panel(page, scene["target"])
    screenshot(page, "console-z16-clicked")
    # A zone answers a click with its popup.
    page.keyboard.press("Escape")
    spot = page.evaluate("(() => { const r = window.gridopsConsole.map.getContainer().getBoundingClientRect();"
                         " return [r.left + r.width / 2 + 200, r.top + r.height / 2 - 150]; })()")
    assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('.leaflet-zones-pane')", spot)
    page.mouse.click(*spot)
    page.wait_for_selector(".leaflet-popup-content", timeout=WAIT_MS)
    assert "未结" in page.inner_text(".leaflet-popup-content")


@pytest.mark.parametrize("query", ["number", "#number", "紫洞路", "南庄镇第1网格"])
def test_operator_finds_an_incident_by_number_address_and_grid(scene, new_context, query):
    target = scene["target"]
    text = query.replace("number", str(target.id))
    page = console_page(new_context, scene["users"]["district"])
    page.fill("#q", text)
    page.press("#q", "Enter")
    # Exactly the target, except for a bare number: it also matches addresses and zone names that
    # hold its digits ("第1网格"), which a small id in a fresh database does.
    condition = f".includes('{target.id}')" if query == "number" else f".join() === '{target.id}'"
    page.wait_for_function(f"[...document.querySelectorAll('#list button.item')].map(b => b.dataset.incidentId)"
                           f"{condition}", timeout=WAIT_MS)
    page.click(f"#list button[data-incident-id='{target.id}']")
    expect_panel(page, target)
    if query == "紫洞路":
        screenshot(page, "console-search-address")


def test_the_console_offers_exactly_the_moves_the_api_allows_for_every_role_and_status(scene, new_context):
    """Table-driven over every console role × status, against the API's own answer for that user."""
    zones = scene["zones"]
    now = timezone.now()
    incidents = {status: make_incident(zones, NANZHUANG_GRID, status=status,
                                       dispatched_at=None if status in (Status.REPORTED, Status.REGISTERED) else now)
                 for status in Status.values}
    shown_everywhere = {}
    for who in ("district", "nanzhuang", "zumiao", "dept_cg", "justice"):
        user = scene["users"][who]
        api = Client()
        api.force_login(user)
        page = console_page(new_context, user)
        for status, incident in incidents.items():
            response = api.get(reverse("incident-detail", args=[incident.id]))
            expected = set()
            if response.status_code == 200:
                props = response.json()["properties"]
                expected = set(props["allowed_transitions"]) | ({"merge"} if props["may_merge"] else set())
            else:
                assert response.status_code == 404
            page.evaluate("id => window.GridOpsConsole.openIncident(id)", incident.id)
            page.wait_for_function(f"(t => t && (t.textContent.startsWith('#{incident.id} ')))"
                                   "(document.getElementById('panel-title')) || "
                                   "document.querySelector('#panel .notice.error')", timeout=WAIT_MS)
            shown = set(page.evaluate("[...document.querySelectorAll('#panel [data-action]')].map(b => b.dataset.action)"))
            assert shown == expected, (who, status, shown, expected)
            shown_everywhere[(who, status)] = (shown, page.evaluate(
                "Object.fromEntries([...document.querySelectorAll('#panel [data-action]')]"
                ".map(b => [b.dataset.action, b.textContent]))"))
            if not expected:
                assert page.locator("#panel .no-actions, #panel .notice.error").count() == 1
        if who == "dept_cg":
            page.evaluate("id => window.GridOpsConsole.openIncident(id)", incidents[Status.DISPATCHED].id)
            page.wait_for_selector("#panel [data-action=returned]", timeout=WAIT_MS)
            screenshot(page, "console-actions-handler-dispatched")
    # The cases the issue found, now right:
    assert shown_everywhere[("district", Status.DISPATCHED)][0] == {"dispatched", "merge"}  # no 接收处置 / 退回
    assert shown_everywhere[("dept_cg", Status.DISPATCHED)][0] == {"in_progress", "returned"}  # no 派遣
    assert shown_everywhere[("dept_cg", Status.REGISTERED)][0] == set()                    # not theirs yet
    send_back = shown_everywhere[("district", Status.RESOLVED)][1]["in_progress"]
    assert send_back == "核查不通过，退回处置" and send_back != "接收处置"
    assert shown_everywhere[("justice", Status.DISPATCHED)][0] == set()


def test_dispatch_chooses_a_department_with_a_note_and_reports_success(scene, new_context):
    zones = scene["zones"]
    incident = make_incident(zones, NANZHUANG_GRID, status=Status.REGISTERED, address="南庄镇吉利大道1号")
    page = console_page(new_context, scene["users"]["nanzhuang"])
    page.fill("#q", "吉利大道")
    page.press("#q", "Enter")
    page.click(f"#list button[data-incident-id='{incident.id}']", timeout=WAIT_MS)
    page.wait_for_selector("#panel form.act-form select[name=department]", timeout=WAIT_MS)
    assert page.input_value("#panel select[name=department]") == "cg"   # the routing proposal preselected
    page.select_option("#panel select[name=department]", "sw")
    page.fill("#panel textarea[name=note]", "积水点，请水务处理")
    page.click("#panel button[data-action=dispatched]")
    notice = page.wait_for_selector("#panel .notice", timeout=WAIT_MS)
    assert "success" in notice.get_attribute("class") and notice.get_attribute("role") == "status"
    assert "已完成" in notice.inner_text() and "派遣" in notice.inner_text()
    # Styled as success (green), not as the red error it used to be.
    assert page.evaluate("getComputedStyle(document.querySelector('#panel .notice')).backgroundColor") == "rgb(230, 244, 234)"
    screenshot(page, "console-dispatched-success")
    incident.refresh_from_db()
    assert incident.status == Status.DISPATCHED and incident.department.code == "sw"
    assert incident.transitions.order_by("-id").first().note == "积水点，请水务处理"
    # A refused move is an error notice (someone else changed the incident first).
    Incident.objects.filter(pk=incident.pk).update(version=F("version") + 1)
    page.click("#panel button[data-action=dispatched]")
    page.wait_for_selector("#panel .notice.error[role=alert]", timeout=WAIT_MS)


def test_list_feed_and_panel_work_from_the_keyboard(scene, new_context):
    target = scene["target"]
    page = console_page(new_context, scene["users"]["district"])
    page.wait_for_selector(f"#list button[data-incident-id='{target.id}']", timeout=WAIT_MS)

    def tab_until(js_condition, limit=80):
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(js_condition):
                return
        pytest.fail(f"Tab never reached {js_condition}")

    tab_until("document.activeElement.id === 'q'")
    page.keyboard.type(str(target.id))
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#list button.item').length === 1", timeout=WAIT_MS)
    tab_until("document.activeElement.matches('#list button.item')")
    page.keyboard.press("Enter")
    expect_panel(page, target)
    screenshot(page, "console-keyboard-panel")
    page.keyboard.press("Escape")
    assert page.evaluate("document.getElementById('panel').hidden") is True
    assert page.evaluate(f"document.activeElement.dataset.incidentId") == str(target.id)  # focus given back
    # A live update appears in the feed as a button reached by Tab, opening the panel with Enter.
    off_loop(lambda: incident_transition(user=scene["users"]["dept_cg"], incident_id=target.id, status="in_progress",
                                         version=target.version, note="到场"))
    page.wait_for_selector(f"#feed li[data-incident-id='{target.id}'] button", timeout=WAIT_MS)
    tab_until("document.activeElement.closest('#feed') !== null")
    page.keyboard.press("Enter")
    page.wait_for_function(f"(document.getElementById('panel-title') || {{}}).textContent?.startsWith('#{target.id} ')",
                           timeout=WAIT_MS)
    assert page.evaluate("document.activeElement.id") == "panel-title"
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.closest('#feed') !== null")


def test_live_markers_follow_the_filters(scene, new_context):
    target, handler, district = scene["target"], scene["users"]["dept_cg"], scene["users"]["district"]
    page = console_page(new_context, district)
    assert page.input_value("#filters select[name=status]") == "open"
    marker = f".live-incident-{target.id}"

    def move(user, status):
        incident = Incident.objects.get(pk=target.pk)
        off_loop(lambda: incident_transition(user=user, incident_id=incident.id, status=status, version=incident.version))

    move(handler, "in_progress")
    try:
        page.wait_for_selector(marker, state="attached", timeout=WAIT_MS)
    except PlaywrightTimeout:
        pytest.fail(f"no live marker; received {page.evaluate('JSON.stringify(window.gridopsConsole.received)')}, "
                    f"filters {page.evaluate('location.search + new URLSearchParams(new FormData(document.getElementById(`filters`))).toString()')}, "
                    f"errors {page.js_errors}")
    move(handler, "resolved")   # no longer open: it leaves the "all open" map
    page.wait_for_function(f"window.gridopsConsole.received.filter(m => m.payload.id === {target.id}).length === 2",
                           timeout=WAIT_MS)
    assert page.locator(marker).count() == 0
    page.select_option("#filters select[name=status]", "")   # any status: it is back
    page.wait_for_selector(marker, state="attached", timeout=WAIT_MS)
    page.select_option("#filters select[name=status]", "open")
    page.wait_for_selector(marker, state="detached", timeout=WAIT_MS)
    move(district, "verified")
    move(district, "closed")
    page.wait_for_function(f"window.gridopsConsole.received.filter(m => m.payload.id === {target.id}).length === 4",
                           timeout=WAIT_MS)
    assert page.locator(marker).count() == 0
    assert page.locator(f"#feed li[data-incident-id='{target.id}']").count() == 4
    settle(page)
    screenshot(page, "console-live-filtered")


def test_town_operator_opens_on_their_town_and_sees_only_its_places(scene, new_context):
    zones = scene["zones"]
    for code, town, x in (("NZ-H1", NANZHUANG, 113.01), ("ZM-H1", ZUMIAO, 113.03)):
        Hall.objects.create(code=code, name=f"{zones[town].name}行政服务中心", kind=HallKind.TOWN_CENTRE,
                            zone=zones[town], location=f"POINT({x} 23.012)")
    page = console_page(new_context, scene["users"]["nanzhuang"])
    settle(page)
    bounds = page.evaluate("window.gridopsConsole.map.getBounds().toBBoxString()").split(",")
    west, south, east, north = map(float, bounds)
    assert west <= 113.00 and south <= 23.00 and east >= 113.02 and north >= 23.02   # the whole town in view
    assert east - west < 0.2                                                           # and not the whole region
    page.wait_for_selector(".leaflet-marker-icon.opt-centres", timeout=WAIT_MS)
    assert page.locator(".leaflet-marker-icon.opt-centres").count() == 1
    page.check("#toggles input[data-layer=halls]")
    page.wait_for_selector(".leaflet-marker-icon.opt-halls", timeout=WAIT_MS)
    assert page.locator(".leaflet-marker-icon.opt-halls").count() == 1
    assert page.get_attribute(".leaflet-marker-icon.opt-halls", "title") == "南庄镇行政服务中心"
    if not page.evaluate("document.querySelector('.legend').open"):
        page.click(".legend summary")
    legend = page.inner_text(".legend")
    assert "聚合点" in legend and "含超期事件的聚合点" in legend and "政务服务大厅" in legend
    screenshot(page, "console-nanzhuang-town")


def test_the_list_pages_on_with_show_more(scene, new_context):
    zones = scene["zones"]
    for n in range(55):
        make_incident(zones, NANZHUANG_GRID, address=f"南庄镇紫洞路{n}号")
    page = console_page(new_context, scene["users"]["district"])
    page.wait_for_function("() => document.getElementById('list-count').textContent !== ''", timeout=WAIT_MS)
    everything = page.inner_text("#list-count")   # the decoy too
    page.fill("#q", "紫洞路")
    page.press("#q", "Enter")
    page.wait_for_function(f"() => document.getElementById('list-count').textContent !== '{everything}'", timeout=WAIT_MS)
    assert page.locator("#list button.item").count() == 50
    total = int("".join(ch for ch in page.inner_text("#list-count") if ch.isdigit()))
    assert total == Incident.objects.filter(address__contains="紫洞路").count() >= 56
    page.click("#list-more")
    page.wait_for_function(f"() => document.querySelectorAll('#list button.item').length === {total}", timeout=WAIT_MS)
    assert page.is_hidden("#list-more")
