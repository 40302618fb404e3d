"""Issue 4 acceptance in real headless Chromium against uvicorn + Redis + PostGIS."""
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from gridops.incidents.models import Incident
from gridops.incidents.services import incident_report
from tests.browser_support import screenshot
from tests.realtime.users import build_people, catalogue

pytestmark = pytest.mark.django_db(transaction=True)

ZUMIAO_POINT = (113.03, 23.005)
NANZHUANG_POINT = (113.01, 23.005)


@pytest.fixture
def people():
    data = build_people()
    catalogue()
    return data


def report(worker, point, note=""):
    """Report as the incidents service does; in a worker thread because Playwright's loop owns this one."""
    def run():
        try:
            incident, _ = incident_report(reporter=worker, lon=point[0], lat=point[1], event_type="0101001",
                                          source="grid_worker", description=note)
            return incident
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def open_console(new_context, user):
    page = new_context(user=user).new_page()
    page.goto("/console/")
    page.wait_for_selector("#conn[data-state=live]", timeout=10000)
    return page


def open_tablet(new_context, username, *, point=ZUMIAO_POINT):
    context = new_context(viewport={"width": 800, "height": 1100}, geolocation={"longitude": point[0], "latitude": point[1]},
                          permissions=["geolocation"])
    page = context.new_page()
    page.goto("/tablet/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-" + username)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#tabs:not([hidden])", timeout=10000)
    return context, page


def fill_report(page, description):
    page.click("[data-tab=report]")
    page.click("#gps")
    page.wait_for_function("document.getElementById('where').textContent.includes('23.00')")
    page.fill("#type-search", "jg")
    page.click("#type-results button[data-code='0101001']")
    page.fill("textarea[name=description]", description)
    page.click("#send")


def test_tablet_report_appears_on_operator_map_within_a_second(people, new_context):
    console = open_console(new_context, people["users"]["district"])
    _, tablet = open_tablet(new_context, "worker_zm")
    with tablet.expect_response(lambda r: r.url.endswith("/api/v1/incidents/") and r.request.method == "POST") as info:
        fill_report(tablet, "井盖缺失，路口东侧")
    created = info.value.json()
    sent_at = time.monotonic()
    console.wait_for_selector(f".live-incident-{created['id']}", timeout=1000, state="attached")
    elapsed = time.monotonic() - sent_at
    assert elapsed < 1.0
    assert console.locator(f"#feed li[data-incident-id='{created['id']}']").count() == 1
    console.wait_for_timeout(800)  # let tiles paint for the screenshot
    console.click(f"#feed li[data-incident-id='{created['id']}']")
    console.wait_for_selector("#panel .routing")
    screenshot(console, "console-district")
    tablet.click("[data-tab=tasks]")
    screenshot(tablet, "tablet-tasks")


def test_town_operator_gets_only_its_town(people, new_context):
    district = open_console(new_context, people["users"]["district"])
    nanzhuang = open_console(new_context, people["users"]["nanzhuang"])
    zumiao_incident = report(people["users"]["worker_zm"], ZUMIAO_POINT, "祖庙")
    district.wait_for_selector(f"#feed li[data-incident-id='{zumiao_incident.id}']", timeout=3000)
    nanzhuang_incident = report(people["users"]["worker_nz"], NANZHUANG_POINT, "南庄")
    nanzhuang.wait_for_selector(f"#feed li[data-incident-id='{nanzhuang_incident.id}']", timeout=3000)
    # The 南庄 incident arrived after the 祖庙 one, so the 祖庙 one was not merely late.
    assert nanzhuang.locator(f"#feed li[data-incident-id='{zumiao_incident.id}']").count() == 0
    received = nanzhuang.evaluate("window.gridopsConsole.received.map(m => m.payload.id)")
    assert zumiao_incident.id not in received and nanzhuang_incident.id in received
    screenshot(nanzhuang, "console-nanzhuang")


def test_offline_tablet_sends_two_queued_reports_once_each(people, new_context):
    context, tablet = open_tablet(new_context, "worker_zm")
    tablet.wait_for_function("window.idbKeyval.get('gridops.catalogue').then(c => !!(c && c.length))")
    context.set_offline(True)
    fill_report(tablet, "离线一")
    fill_report(tablet, "离线二")
    tablet.click("[data-tab=queue]")
    tablet.wait_for_function("document.querySelectorAll('#queue-list li[data-state=waiting]').length === 2")
    assert tablet.inner_text("#queue-count") == "2"
    screenshot(tablet, "tablet-outbox-offline")
    assert Incident.objects.count() == 0
    keys = tablet.evaluate("window.gridopsTablet.readQueue().then(q => q.map(i => i.body.client_key))")
    context.set_offline(False)
    tablet.evaluate("Promise.all([window.gridopsTablet.flush(), window.gridopsTablet.flush()])")  # racing flushes
    tablet.wait_for_function("document.getElementById('queue-count').textContent === '0'", timeout=10000)
    tablet.wait_for_timeout(500)
    assert sorted(Incident.objects.values_list("client_key", flat=True)) == sorted(keys)
    assert sorted(Incident.objects.values_list("description", flat=True)) == ["离线一", "离线二"]


def test_operator_socket_cut_and_restored_catches_up(people, new_context):
    console = open_console(new_context, people["users"]["district"])
    context = console.context
    context.set_offline(True)
    console.evaluate("window.gridopsConsole.socket.close()")
    console.wait_for_selector("#conn[data-state=reconnecting]")
    missed = [report(people["users"]["worker_zm"], ZUMIAO_POINT, f"断线期间 {n}") for n in range(3)]
    console.wait_for_timeout(1500)
    assert console.evaluate("window.gridopsConsole.socket.readyState") != 1  # still cut
    for incident in missed:
        assert console.locator(f"#feed li[data-incident-id='{incident.id}']").count() == 0
    context.set_offline(False)
    for incident in missed:
        console.wait_for_selector(f".live-incident-{incident.id}", timeout=8000, state="attached")
    received = console.evaluate("window.gridopsConsole.received.map(m => m.payload.id)")
    assert sorted(set(received) & {i.id for i in missed}) == sorted(i.id for i in missed)
    assert len(received) == len(set(m for m in console.evaluate("window.gridopsConsole.received.map(m => m.id)")))
