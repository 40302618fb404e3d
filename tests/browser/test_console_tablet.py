"""Issue 4 acceptance in real headless Chromium against uvicorn + Redis + PostGIS.

Synchronisation is by waiting for conditions in the page (bounded, generous timeouts for a loaded
2-core machine), never by sleeping; latencies are measured inside the browser.
"""
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from gridops.incidents.models import Incident
from gridops.incidents.services.intake import incident_report
from tests.browser_support import screenshot
from tests.realtime.users import build_people, catalogue

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 60_000  # an upper bound for waiting on the page (a cold live server); speed is measured in bench/

ZUMIAO_POINT = (113.03, 23.005)
NANZHUANG_POINT = (113.01, 23.005)


@pytest.fixture
def people():
    data = build_people()
    catalogue()
    return data


def off_loop(func, *args, **kwargs):
    """Run ORM code in a worker thread: Playwright's event loop owns this one."""
    def run():
        try:
            return func(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def report(worker, point, note=""):
    """Report as the incidents service does."""
    return off_loop(lambda: incident_report(reporter=worker, lon=point[0], lat=point[1], event_type="0101001",
                                            source="grid_worker", description=note)[0])


def wait_tiles(page, *, reloaded=False):
    """Until the console's vector tiles are in (the map is painted, for screenshots).

    `reloaded`: also after the console's (debounced) tile refresh that follows live events.
    """
    generation = "1" if reloaded else "0"
    page.wait_for_function(f"(t => t.viewReady && t.generation >= {generation} && t.settled === t.generation "
                           "&& !t.loading())(window.gridopsConsole.tiles)", timeout=WAIT_MS)


def open_console(new_context, user):
    page = new_context(user=user).new_page()
    page.goto("/console/")
    page.wait_for_selector("#conn[data-state=live]", timeout=WAIT_MS)
    return page


def open_tablet(new_context, username, *, point=ZUMIAO_POINT):
    context = new_context(viewport={"width": 800, "height": 1100}, geolocation={"longitude": point[0], "latitude": point[1]},
                          permissions=["geolocation"])
    page = login_tablet(context, username)
    page.wait_for_selector("#tabs:not([hidden])", timeout=WAIT_MS)
    return context, page


def login_tablet(context, username):
    """A new tablet page in `context`, signed in as `username` (the sign-in form submitted)."""
    page = context.new_page()
    page.goto("/tablet/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-" + username)
    page.click("#login-form button[type=submit]")
    return page


def wait_catalogue(page):
    """Until the tablet has stored the event-type catalogue (its offline type search needs it).

    The predicate must be synchronous: Playwright does not await a Promise a predicate returns, it
    takes the Promise itself as truthy. The earlier `idbKeyval.get(...).then(...)` therefore never
    waited, and on a loaded machine (two xdist workers, a busy CPU) the tests went offline before
    the catalogue's response had landed: the offline search answered "no results" and the test
    timed out clicking a result that was never drawn."""
    page.wait_for_function("window.gridopsTablet.catalogueSize > 0", timeout=WAIT_MS)


def fill_report(page, description):
    page.click("[data-tab=report]")
    page.click("#gps")
    page.wait_for_function("document.getElementById('where').textContent.includes('23.00')", timeout=WAIT_MS)
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
    timing = info.value.request.timing
    answered_ms = timing["startTime"] + timing["responseEnd"]  # epoch ms, the browser's clock
    console.wait_for_selector(f".live-incident-{created['id']}", timeout=WAIT_MS, state="attached")
    arrived_ms = console.evaluate(f"window.gridopsConsole.received.find(m => m.payload.id === {created['id']}).arrivedAt")
    # Both pages run in one browser, so their clocks agree; the harness's own delays do not count.
    assert arrived_ms - answered_ms < 1000, arrived_ms - answered_ms
    assert console.locator(f"#feed li[data-incident-id='{created['id']}']").count() == 1
    console.click(f"#feed li[data-incident-id='{created['id']}']")
    console.wait_for_selector("#panel .routing", timeout=WAIT_MS)
    wait_tiles(console, reloaded=True)
    console.wait_for_function("document.getElementById('kpi-open').textContent === '1'", timeout=WAIT_MS)
    panel = console.inner_text("#panel")
    assert "normal" not in panel and "AM" not in panel and "PM" not in panel  # labels and dates in Chinese
    screenshot(console, "console-district")
    tablet.click("[data-tab=tasks]")
    tablet.wait_for_selector(f"#task-list li >> text=井盖缺失，路口东侧", timeout=WAIT_MS)
    screenshot(tablet, "tablet-tasks")


def test_town_operator_gets_only_its_town(people, new_context):
    district = open_console(new_context, people["users"]["district"])
    nanzhuang = open_console(new_context, people["users"]["nanzhuang"])
    zumiao_incident = report(people["users"]["worker_zm"], ZUMIAO_POINT, "祖庙")
    district.wait_for_selector(f"#feed li[data-incident-id='{zumiao_incident.id}']", timeout=WAIT_MS)
    nanzhuang_incident = report(people["users"]["worker_nz"], NANZHUANG_POINT, "南庄")
    nanzhuang.wait_for_selector(f"#feed li[data-incident-id='{nanzhuang_incident.id}']", timeout=WAIT_MS)
    # The 南庄 incident arrived after the 祖庙 one, so the 祖庙 one was not merely late.
    assert nanzhuang.locator(f"#feed li[data-incident-id='{zumiao_incident.id}']").count() == 0
    received = nanzhuang.evaluate("window.gridopsConsole.received.map(m => m.payload.id)")
    assert zumiao_incident.id not in received and nanzhuang_incident.id in received
    wait_tiles(nanzhuang, reloaded=True)
    nanzhuang.wait_for_function("document.getElementById('kpi-open').textContent === '1'", timeout=WAIT_MS)
    screenshot(nanzhuang, "console-nanzhuang")


def test_offline_tablet_sends_two_queued_reports_once_each(people, new_context):
    context, tablet = open_tablet(new_context, "worker_zm")
    wait_catalogue(tablet)
    context.set_offline(True)
    fill_report(tablet, "离线一")
    fill_report(tablet, "离线二")
    tablet.click("[data-tab=queue]")
    tablet.wait_for_function("document.querySelectorAll('#queue-list li[data-state=waiting]').length === 2",
                             timeout=WAIT_MS)
    assert tablet.inner_text("#queue-count") == "2"
    screenshot(tablet, "tablet-outbox-offline")
    assert Incident.objects.count() == 0
    keys = tablet.evaluate("window.gridopsTablet.readQueue().then(q => q.map(i => i.body.client_key))")
    context.set_offline(False)
    # Two racing flushes; evaluate() returns once both have finished, so every POST was answered.
    tablet.evaluate("Promise.all([window.gridopsTablet.flush(), window.gridopsTablet.flush()])")
    tablet.wait_for_function("document.getElementById('queue-count').textContent === '0'", timeout=WAIT_MS)
    assert sorted(Incident.objects.values_list("client_key", flat=True)) == sorted(keys)
    assert sorted(Incident.objects.values_list("description", flat=True)) == ["离线一", "离线二"]
    # The device's time is kept beside the server's, which alone started the deadlines.
    assert all(i.captured_at and i.captured_at <= i.reported_at for i in Incident.objects.all())


def test_outbox_keeps_a_report_whose_device_time_is_refused(people, new_context):
    """A tablet clock the server finds implausible costs the capture time, never the report."""
    context, tablet = open_tablet(new_context, "worker_zm")
    wait_catalogue(tablet)
    context.set_offline(True)
    fill_report(tablet, "设备时间有误")
    tablet.evaluate("""window.idbKeyval.update('gridops.outbox', (items) => items.map((i) =>
        Object.assign(i, { body: Object.assign(i.body, { captured_at: '2000-01-01T00:00:00Z' }) })))""")
    context.set_offline(False)
    tablet.evaluate("window.gridopsTablet.flush()")
    tablet.wait_for_function("document.getElementById('queue-count').textContent === '0'", timeout=WAIT_MS)
    incident = Incident.objects.get(description="设备时间有误")
    assert incident.captured_at is None


def test_operator_socket_cut_and_restored_catches_up(people, new_context):
    console = open_console(new_context, people["users"]["district"])
    context = console.context
    context.set_offline(True)
    console.evaluate("window.gridopsConsole.socket.close()")
    console.wait_for_selector("#conn[data-state=reconnecting]", timeout=WAIT_MS)
    missed = [report(people["users"]["worker_zm"], ZUMIAO_POINT, f"断线期间 {n}") for n in range(3)]
    # Wait until the page has tried (and failed) to reconnect twice more while offline.
    attempts = console.evaluate("window.gridopsConsole.connects")
    console.wait_for_function(f"window.gridopsConsole.connects >= {attempts + 2} && "
                              "window.gridopsConsole.socket.readyState === 3", timeout=WAIT_MS)
    for incident in missed:
        assert console.locator(f"#feed li[data-incident-id='{incident.id}']").count() == 0
    context.set_offline(False)
    for incident in missed:
        console.wait_for_selector(f".live-incident-{incident.id}", timeout=WAIT_MS, state="attached")
    received = console.evaluate("window.gridopsConsole.received.map(m => m.payload.id)")
    assert sorted(set(received) & {i.id for i in missed}) == sorted(i.id for i in missed)
    assert len(received) == len(set(m for m in console.evaluate("window.gridopsConsole.received.map(m => m.id)")))


XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>粗体</b>'


def test_user_text_is_shown_literally_never_run(people, new_context):
    """A description with markup appears as text in the console panel and the tablet's tasks."""
    console = open_console(new_context, people["users"]["district"])
    incident = report(people["users"]["worker_zm"], ZUMIAO_POINT, XSS)
    console.click(f"#feed li[data-incident-id='{incident.id}']", timeout=WAIT_MS)
    console.wait_for_selector("#panel .routing", timeout=WAIT_MS)
    assert XSS in console.inner_text("#panel")
    assert console.locator("#panel img[src=x], #panel script, #panel b").count() == 0
    _, tablet = open_tablet(new_context, "worker_zm")
    tablet.wait_for_selector("#task-list li >> text=window.__xss", timeout=WAIT_MS)
    assert XSS in tablet.inner_text("#task-list")
    assert tablet.locator("#task-list img, #task-list script, #task-list b").count() == 0
    for page in (console, tablet):
        assert page.evaluate("window.__xss === undefined")


def test_approval_hall_layer_follows_hall_queue_events(people, new_context):
    """The halls layer (approvals) is a toggle with a legend row and updates live on hall.queue."""
    from django.contrib.gis.geos import Point

    from gridops.approvals.models import Hall, HallKind
    from gridops.approvals.services.queue import hall_audiences, publish_hall_queue
    from gridops.realtime.services import publish_event

    hall = off_loop(lambda: Hall.objects.create(code="ZM-H1", name="祖庙行政服务中心", kind=HallKind.TOWN_CENTRE,
                                                zone=people["zones"]["440604001"], location=Point(*ZUMIAO_POINT)))
    console = open_console(new_context, people["users"]["zumiao"])
    wait_tiles(console)
    console.check("#toggles input[data-layer=halls]")
    console.wait_for_selector("#map .leaflet-marker-icon.opt-halls", timeout=WAIT_MS)
    if not console.evaluate("document.querySelector('.legend').open"):
        console.click(".legend summary")  # the legend starts folded on a short map
    assert "政务服务大厅" in console.inner_text(".legend")
    off_loop(publish_hall_queue, hall)  # the approvals app's own event (nobody waiting yet)
    console.wait_for_function("window.gridopsConsole.halls['ZM-H1'] === 0", timeout=WAIT_MS)

    def seven_waiting():
        from django.db import transaction

        with transaction.atomic():
            publish_event(kind="hall.queue", audiences=hall_audiences(hall),
                          payload={"hall": hall.code, "name": hall.name, "waiting": 7, "serving": [], "next": [],
                                   "today": {"served": 3, "open_counters": 2}})

    off_loop(seven_waiting)
    console.wait_for_function("window.gridopsConsole.halls['ZM-H1'] === 7", timeout=WAIT_MS)
    console.click("#map .leaflet-marker-icon.opt-halls")
    popup = console.wait_for_selector(".leaflet-popup-content", timeout=WAIT_MS)
    text = popup.inner_text()
    assert "祖庙行政服务中心" in text and "7" in text and "等候人数" in text
    screenshot(console, "console-halls-layer")
