"""The staff desk page: who may open it, what it shows, and a clerk calling a ticket in the browser."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from gridops.accounts.models import Role
from gridops.approvals import identity
from gridops.approvals.services import cases, queue
from gridops.approvals.models import Case, CaseState, Counter, Ticket, TicketStatus
from tests.browser_support import screenshot

from . import factories as f
from .factories import off_loop

URL = "/approvals/desk/"


def _get(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(reverse("approvals-desk"))


def test_the_route_is_where_staff_expect_it():
    assert reverse("approvals-desk") == URL


# role (a key of the world, or a user built here) -> expected status and the page's mode
PAGE = [
    ("anonymous", 302, None),
    ("citizen", 403, None),
    ("operator", 403, None),
    ("clerk", 200, "clerk"),
    ("other_clerk", 200, "clerk"),
    ("food_reviewer", 200, "reviewer"),
    ("police_reviewer", 200, "reviewer"),
    ("clerk_without_hall", 403, None),
    ("reviewer_without_department", 403, None),
    ("department_handler", 403, None),
]


@pytest.mark.parametrize("who,status,mode", PAGE)
def test_desk_permission_per_role(world, who, status, mode):
    extra = {
        "anonymous": None,
        "clerk_without_hall": f.user_with(Role.COUNTER_CLERK),
        "reviewer_without_department": f.user_with(Role.REVIEWER),
        "department_handler": f.user_with(Role.DEPARTMENT_HANDLER, dept=world["shichang"]),
    }
    user = extra[who] if who in extra else world[who]
    response = _get(user)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    if mode:
        assert f'data-mode="{mode}"' in response.content.decode()
    if status == 403:
        assert "desk.js" not in response.content.decode()


def test_the_desk_answers_only_get(world):
    client = Client()
    client.force_login(world["clerk"])
    assert client.post(reverse("approvals-desk")).status_code == 405


def test_a_clerk_sees_their_own_hall_and_the_ticket_each_counter_serves(world):
    queue.ticket_issue(hall=world["town"], item=world["food"])
    called = queue.ticket_call_next(counter=Counter.objects.get(hall=world["town"], number=2), clerk=world["clerk"])
    response = _get(world["clerk"])
    html = response.content.decode()
    assert "南庄镇行政服务中心" in html and 'data-hall="H440604101"' in html
    counters = response.context["counters"]
    assert [c["number"] for c in counters] == [1, 2, 3]
    assert counters[1]["serving"] == {"id": called.pk, "number": "A001", "item_name": "食品经营许可证核发"}
    assert counters[0]["serving"] is None and counters[2]["serving"] is None
    # The same data reaches the script as JSON, not as markup.
    assert json.dumps(called.pk) in html.split('id="desk-counters"', 1)[1]
    # A clerk of another hall sees that hall's counters, not the town centre's.
    other = _get(world["other_clerk"]).context["counters"]
    assert {c["id"] for c in other} == set(Counter.objects.filter(hall=world["other"]).values_list("pk", flat=True))


def test_a_reviewer_sees_their_department(world):
    html = _get(world["food_reviewer"]).content.decode()
    assert 'data-department="shichang"' in html and "区市场监督管理局" in html
    assert 'data-department="gongan"' in _get(world["police_reviewer"]).content.decode()


def test_the_page_is_in_chinese_by_default(world):
    html = _get(world["clerk"]).content.decode()
    assert "叫号" in html and "办结" in html and "审批后台" in html


@pytest.mark.django_db(transaction=True)
def test_a_clerk_calls_the_next_ticket_from_the_page(new_context, live_world):
    world = live_world
    first = off_loop(queue.ticket_issue, hall=world["town"], item=world["residence"])
    off_loop(queue.ticket_issue, hall=world["town"], item=world["food"])
    page = new_context(user=world["clerk"]).new_page()
    page.goto(reverse("approvals-desk"))
    page.locator("#desk-status[data-status=live]").wait_for()
    page.wait_for_function("document.getElementById('desk-next').children.length === 2")
    counter = Counter.objects.get(hall=world["town"], number=2)
    page.select_option("#desk-counter", str(counter.pk))

    page.click("#desk-call")
    page.locator("#desk-ticket[data-ticket=A001]").wait_for()
    # Each part of the page follows its own event: wait for each (expect retries), never read once.
    expect(page.locator("#desk-item")).to_have_text("居住证办理")
    expect(page.locator("#desk-next > *")).to_have_count(1)
    row = page.locator("#desk-serving-rows tr")
    expect(row.locator("td").nth(0)).to_have_text("A001")
    expect(row.locator("td").nth(1)).to_have_text("2")
    expect(page.locator("#desk-waiting")).to_have_text("1")
    expect(page.locator("#desk-call")).to_be_disabled()
    expect(page.locator("#desk-finish")).to_be_enabled()
    ticket = Ticket.objects.get(pk=first.pk)
    assert (ticket.status, ticket.counter_id, ticket.clerk_id) == (TicketStatus.CALLED, counter.pk, world["clerk"].pk)
    screenshot(page, "approvals-desk-called")

    page.click("#desk-finish")
    page.locator("#desk-ticket[data-ticket='']").wait_for()
    page.wait_for_function("document.getElementById('desk-serving-rows').children.length === 0")
    assert Ticket.objects.get(pk=first.pk).status == TicketStatus.DONE
    expect(page.locator("#desk-call")).to_be_enabled()


def _case_in_review(world):
    """A food licence accepted at the town centre by the clerk, then taken into review."""
    off_loop(queue.ticket_issue, hall=world["town"], item=world["food"])
    ticket = off_loop(queue.ticket_call_next, counter=Counter.objects.get(hall=world["town"], number=1),
                      clerk=world["clerk"])
    applicant = off_loop(identity.identity_verify_at_counter, clerk=world["clerk"], account=world["citizen"],
                         id_number=f.person_id(21), name="周八", phone="13612345678")
    uploads = {code: SimpleUploadedFile("a.pdf", f.PDF, content_type="application/pdf")
               for code in ("application_form", "id_card", "lease")}
    case = off_loop(cases.case_accept_at_counter, clerk=world["clerk"], ticket=ticket, applicant=applicant,
                    uploads=uploads)
    off_loop(queue.ticket_finish, ticket=ticket, clerk=world["clerk"])
    return off_loop(cases.case_transition, actor=world["food_reviewer"], case=case, action="review")


@pytest.mark.django_db(transaction=True)
def test_a_reviewer_returns_a_case_for_a_missing_document(new_context, live_world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    world = live_world
    case = _case_in_review(world)
    page = new_context(user=world["food_reviewer"]).new_page()
    page.goto(reverse("approvals-desk"))
    row = page.locator(f"#case-{case.number}")
    row.wait_for()
    assert "周八" in row.locator(".desk-applicant").inner_text()  # the handling reviewer sees the name
    # A refusal without a reason is refused by the API, and the page says so.
    row.locator("[data-action=refuse]").click()
    page.locator("#desk-message.error").wait_for()
    assert Case.objects.get(pk=case.pk).state == CaseState.REVIEW
    # Return: the first click lists the item's documents, the second sends the chosen ones.
    row.locator("[data-action=return]").click()
    row.locator("[name=missing][value=lease]").check()
    row.locator("[name=note]").fill("租赁合同已过期")
    row.locator("[data-action=return]").click()
    page.wait_for_function(f"!document.getElementById('case-{case.number}')")
    returned = Case.objects.get(pk=case.pk)
    assert returned.state == CaseState.RETURNED
    assert list(returned.missing_documents.values_list("code", flat=True)) == ["lease"]
    page.select_option("#desk-state", "returned")
    page.locator(f"#case-{case.number}[data-state=returned]").wait_for()
    screenshot(page, "approvals-desk-reviewer")
    # Another department's reviewer does not get this case on their desk.
    other = new_context(user=world["police_reviewer"]).new_page()
    other.goto(reverse("approvals-desk"))
    other.locator("#desk-cases .muted").wait_for()
    with other.expect_response(lambda r: "state=returned" in r.url):
        other.select_option("#desk-state", "returned")
    other.wait_for_load_state("networkidle")
    assert other.locator(".desk-case").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_clerk_verifies_an_applicant_at_the_desk(new_context, live_world):
    """Issue 11 finding 1: the clerk's check at the counter binds an identity (and attests it)."""
    from gridops.approvals.models import Applicant
    from gridops.ledger.services.identity import identity_matches

    world = live_world
    page = new_context(user=world["clerk"]).new_page()
    page.goto(reverse("approvals-desk"))
    page.fill("#desk-verify [name=username]", world["citizen"].username)
    page.fill("#desk-verify [name=id_number]", f.person_id(60))
    page.fill("#desk-verify [name=name]", "黄六")
    page.click("#desk-verify button[type=submit]")
    page.wait_for_function("document.getElementById('desk-verify-result').textContent.startsWith('身份已绑定账号')")
    assert Applicant.objects.get(id_number=f.person_id(60)).user_id == world["citizen"].pk
    assert identity_matches(user=world["citizen"], id_number=f.person_id(60))
    assert f.person_id(60) not in page.locator("#desk-verify-result").inner_text()  # masked on screen
