"""Issue 12, the grid worker's tablet in real Chromium: the buttons are the API's moves, a worker
accepts, resolves and checks a task by tapping, sign-out leaves nothing behind, and the offline
type search ranks like the server.
"""
import pytest
from rest_framework.test import APIClient

from gridops.incidents.models import Incident, IncidentTransition, Status
from tests.browser.test_console_tablet import WAIT_MS, ZUMIAO_POINT, login_tablet, open_tablet
from tests.browser_support import screenshot
from tests.realtime.users import ZUMIAO_GRID, build_people, catalogue, make_incident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people():
    data = build_people()
    catalogue()
    return data


def buttons(page, incident_id) -> list[str]:
    return page.eval_on_selector_all(f"#task-list li[data-incident-id='{incident_id}'] .actions button",
                                     "bs => bs.map(b => b.dataset.to)")


def wait_status(page, incident_id, status):
    page.wait_for_selector(f"#task-list li[data-incident-id='{incident_id}'][data-status={status}]", timeout=WAIT_MS)


def test_worker_accepts_resolves_and_checks_by_tapping(people, new_context):
    incident = make_incident(people["zones"], ZUMIAO_GRID, status=Status.DISPATCHED)
    _, tablet = open_tablet(new_context, "worker_zm")
    wait_status(tablet, incident.id, "dispatched")
    card = tablet.locator(f"#task-list li[data-incident-id='{incident.id}']")
    text = card.inner_text()
    assert "位置" in text and "办结时限" in text and people["zones"][ZUMIAO_GRID].name in text  # place, deadline
    assert buttons(tablet, incident.id) == ["in_progress"]
    screenshot(tablet, "tablet-task-dispatched")
    # A double tap: one request, one move, nothing in the outbox.
    card.locator("button[data-to=in_progress]").dblclick()
    wait_status(tablet, incident.id, "in_progress")
    tablet.wait_for_selector("#toast.show >> text=已完成", timeout=WAIT_MS)
    assert "服务器拒收" not in tablet.inner_text("#toast") and "连接恢复" not in tablet.inner_text("#toast")
    assert buttons(tablet, incident.id) == ["resolved"]
    screenshot(tablet, "tablet-task-accepted")
    card.locator("button[data-to=resolved]").click()
    wait_status(tablet, incident.id, "resolved")
    assert buttons(tablet, incident.id) == ["verified", "in_progress"]
    assert card.locator("button[data-to=verified]").inner_text() == "核查通过"
    screenshot(tablet, "tablet-task-resolved-check")
    card.locator("button[data-to=verified]").click()
    tablet.wait_for_selector(f"#task-list li[data-incident-id='{incident.id}']", state="detached", timeout=WAIT_MS)
    incident.refresh_from_db()
    assert incident.status == Status.VERIFIED
    moves = list(IncidentTransition.objects.filter(incident=incident, actor__username="worker_zm")
                 .values_list("from_status", "to_status"))
    assert moves == [("dispatched", "in_progress"), ("in_progress", "resolved"), ("resolved", "verified")]
    assert tablet.inner_text("#queue-count") == "0"
    # The chosen place names its micro-grid, not only coordinates.
    tablet.click("[data-tab=report]")
    tablet.click("#gps")
    tablet.wait_for_function(f"document.getElementById('where').textContent.includes({people['zones'][ZUMIAO_GRID].name!r})",
                             timeout=WAIT_MS)
    screenshot(tablet, "tablet-report-place")


def test_refused_move_reads_in_chinese_and_counts_in_the_badge(people, new_context):
    """Offline moves wait in the outbox; one refused on return shows a Chinese reason and counts."""
    incident = make_incident(people["zones"], ZUMIAO_GRID, status=Status.DISPATCHED)
    context, tablet = open_tablet(new_context, "worker_zm")
    wait_status(tablet, incident.id, "dispatched")
    context.set_offline(True)
    tablet.dblclick(f"#task-list li[data-incident-id='{incident.id}'] button[data-to=in_progress]")
    tablet.wait_for_function("document.getElementById('queue-count').textContent === '1'", timeout=WAIT_MS)
    # Meanwhile the department sent it back; a queued move only operators may make is refused (403).
    Incident.objects.filter(pk=incident.pk).update(status=Status.RETURNED, version=5)
    tablet.evaluate("window.idbKeyval.update('gridops.outbox', q => q.map(i => "
                    "Object.assign(i, {body: {status: 'dispatched', version: 5}})))")
    context.set_offline(False)
    tablet.evaluate("window.gridopsTablet.flush()")
    tablet.click("[data-tab=queue]")
    tablet.wait_for_selector("#queue-list li[data-state=rejected]", timeout=WAIT_MS)
    text = tablet.inner_text("#queue-list")
    assert "您无权执行此操作" in text
    assert not any(word in text for word in ("incident", "role", "may not", "returned"))
    assert tablet.inner_text("#queue-count") == "1"
    screenshot(tablet, "tablet-outbox-refused")


def test_sign_out_clears_every_task_and_report(people, new_context):
    incident = make_incident(people["zones"], ZUMIAO_GRID, status=Status.DISPATCHED, description="签退前的任务")
    context = new_context(viewport={"width": 800, "height": 1100})
    page = context.new_page()
    page.goto("/tablet/")
    page.wait_for_selector("#login:not([hidden])", timeout=WAIT_MS)
    assert not page.is_visible("#tabs") and not page.is_visible("#logout")  # no tab bar before sign-in
    screenshot(page, "tablet-before-sign-in")
    context.close()
    context, tablet = open_tablet(new_context, "worker_zm")
    wait_status(tablet, incident.id, "dispatched")
    tablet.wait_for_function("window.gridopsTablet.catalogueSize > 0", timeout=WAIT_MS)
    tablet.evaluate("navigator.serviceWorker.ready")
    tablet.evaluate("""async () => {  // the service worker has cached the app shell
        for (let i = 0; i < 200; i++) {
            if ((await caches.keys()).some(k => k.startsWith('gridops-'))) return;
            await new Promise(r => setTimeout(r, 100));
        }
        throw new Error('no shell cache');
    }""")
    context.set_offline(True)
    tablet.click("[data-tab=report]")
    tablet.click("#gps")
    tablet.fill("#type-search", "jg")
    tablet.click("#type-results button[data-code='0101001']")
    tablet.fill("textarea[name=description]", "未发出的上报")
    tablet.click("#send")
    tablet.wait_for_function("document.getElementById('queue-count').textContent === '1'", timeout=WAIT_MS)
    tablet.click("#logout")  # still offline: the waiting report must not be sent later either
    tablet.wait_for_selector("#login:not([hidden])", timeout=WAIT_MS)
    left = tablet.evaluate("""async () => ({
        local: Object.keys(localStorage).filter(k => k.startsWith('gridops.')),
        idb: await window.idbKeyval.keys(),
        caches: (await caches.keys()).filter(k => k.startsWith('gridops-')),
        tasks: document.querySelectorAll('#task-list li').length,
        queue: document.querySelectorAll('#queue-list li[data-key]').length,
    })""")
    assert left == {"local": [], "idb": [], "caches": [], "tasks": 0, "queue": 0}, left
    assert not tablet.is_visible("#tabs")
    screenshot(tablet, "tablet-signed-out")
    # The form no longer sends anything, and a reload shows nobody's tasks.
    context.set_offline(False)
    tablet.evaluate("document.getElementById('report-form').requestSubmit()")
    tablet.reload()
    tablet.wait_for_selector("#login:not([hidden])", timeout=WAIT_MS)
    assert "签退前的任务" not in tablet.content()
    assert Incident.objects.filter(description="未发出的上报").count() == 0


TABLET_ROLES = ["worker_zm", "dept_cg", "zumiao", "district", "citizen"]


@pytest.mark.parametrize("username", TABLET_ROLES)
def test_buttons_are_exactly_the_api_moves_for_every_status(people, new_context, username):
    """Role × status: each task card offers exactly what the API allows that user, no more."""
    from django.utils import timezone

    citizen = people["users"]["citizen"]
    incidents = {status: make_incident(people["zones"], ZUMIAO_GRID, status=status, reporter=citizen,
                                       dispatched_at=timezone.now())
                 for status in Status.values}
    user = people["users"][username]
    api = APIClient()
    api.force_authenticate(user)
    expected = {}
    for status, incident in incidents.items():
        response = api.get(f"/api/v1/incidents/{incident.id}/")
        if response.status_code == 200:
            expected[incident.id] = response.json()["properties"]["allowed_transitions"]
    _, tablet = open_tablet(new_context, username)
    tablet.wait_for_selector("#task-list li", timeout=WAIT_MS)
    shown = {}
    for card in tablet.query_selector_all("#task-list li[data-incident-id]"):
        shown[int(card.get_attribute("data-incident-id"))] = card.eval_on_selector_all(
            ".actions button", "bs => bs.map(b => b.dataset.to)")
    task_statuses = {"registered", "dispatched", "in_progress", "returned", "resolved"}
    wanted = {pk: moves for pk, moves in expected.items() if Incident.objects.get(pk=pk).status in task_statuses}
    assert shown == wanted
    if username == "worker_zm":
        assert shown[incidents["resolved"].id] == ["verified", "in_progress"]
        assert shown[incidents["dispatched"].id] == ["in_progress"]
    screenshot(tablet, f"tablet-actions-{username}")


QUERIES = ["jg", "jgqs", "jinggai", "ljt", "lajitong", "manhole", "garbage bin", "垃圾满溢", "井盖", "满溢",
           "0101", "ld", "zzqx"]


def test_offline_search_ranks_like_the_server(people, new_context):
    from gridops.incidents.catalogue import DEMO_DIR, import_catalogue

    import_catalogue(DEMO_DIR, commit=True)
    context, tablet = open_tablet(new_context, "worker_zm", point=ZUMIAO_POINT)
    tablet.wait_for_function("window.gridopsTablet.catalogueSize > 1800", timeout=WAIT_MS)
    api = APIClient()
    for q in QUERIES:
        online = [t["code"] for t in api.get("/api/v1/catalogue/event-types/", {"q": q, "limit": 30}).json()]
        offline = tablet.evaluate("q => window.gridopsTablet.searchOffline(q).then(r => r.slice(0, 30).map(t => t.code))", q)
        assert offline == online, q
    jg = tablet.evaluate("window.gridopsTablet.searchOffline('jg').then(r => r[0].name)")
    assert "井盖" in jg
    context.set_offline(True)
    tablet.click("[data-tab=report]")
    for q, expect in (("垃圾满溢", "满溢"), ("manhole", "井盖")):
        tablet.fill("#type-search", q)
        tablet.wait_for_function("t => document.getElementById('type-results').innerText.includes(t)", arg=expect,
                                 timeout=WAIT_MS)
    screenshot(tablet, "tablet-offline-search-manhole")
    tablet.fill("#type-search", "qqqqxx")
    tablet.wait_for_selector("#type-results .no-results", timeout=WAIT_MS)
    assert "没有与“qqqqxx”匹配的事件类型" in tablet.inner_text("#type-results")


def test_offline_search_typed_before_the_catalogue_arrived_is_answered_when_it_lands(people, new_context):
    """The signal goes while the catalogue is still downloading: the search typed meanwhile says
    "no results" (there is no catalogue yet), then shows the match once the catalogue is stored."""
    context = new_context(viewport={"width": 800, "height": 1100})
    held = []  # the catalogue's response, fetched from the server but not yet given to the page
    context.route("**/api/v1/catalogue/event-types/?limit=*", lambda route: held.append((route, route.fetch())))
    tablet = login_tablet(context, "worker_zm")
    tablet.wait_for_selector("#tabs:not([hidden])", timeout=WAIT_MS)
    while not held:  # the route handler runs on Playwright's side; each call into the page lets it
        tablet.wait_for_timeout(50)
    context.set_offline(True)
    tablet.click("[data-tab=report]")
    tablet.fill("#type-search", "jg")
    tablet.wait_for_selector("#type-results .no-results", timeout=WAIT_MS)
    assert tablet.evaluate("window.gridopsTablet.catalogueSize") is None
    route, response = held[0]
    route.fulfill(response=response)
    tablet.click("#type-results button[data-code='0101001']", timeout=WAIT_MS)
    assert tablet.inner_text("#type-chosen") == "✔ 井盖缺失"
