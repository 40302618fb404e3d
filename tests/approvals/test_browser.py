"""Browser: the approvals map and a hall screen follow the queue live as tickets are taken and served."""
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gridops.approvals.services import queue
from gridops.approvals.models import Counter
from tests.browser_support import screenshot

from .factories import off_loop

pytestmark = pytest.mark.django_db(transaction=True)


def marker(page, code):
    return page.locator(f'.hall-marker[data-hall="{code}"]')


def test_the_map_layer_shows_each_halls_queue_changing_live(new_context, live_world):
    world = live_world
    page = new_context(user=world["operator"]).new_page()
    page.goto(reverse("approvals-map"))
    town = marker(page, "H440604101")
    expect(town).to_have_text("0")
    page.locator("#am-status[data-status=live]").wait_for()

    first = off_loop(queue.ticket_issue, hall=world["town"], item=world["food"])
    off_loop(queue.ticket_issue, hall=world["town"], item=world["residence"])
    off_loop(queue.ticket_issue, hall=world["other"], item=world["food"])
    # Each hall's event arrives on its own: wait until all three tickets are shown.
    page.wait_for_function(
        "document.querySelector('.hall-marker[data-hall=\"H440604101\"]').textContent === '2'"
        " && document.querySelector('.hall-marker[data-hall=\"H440604001\"]').textContent === '1'"
        " && document.querySelector('#am-waiting').textContent === '3'")
    screenshot(page, "approvals-map-queue")

    counter = Counter.objects.get(hall=world["town"], number=2)
    called = off_loop(queue.ticket_call_next, counter=counter, clerk=world["clerk"])
    assert called.pk == first.pk
    off_loop(queue.ticket_finish, ticket=called, clerk=world["clerk"])
    expect(town).to_have_text("1")
    expect(page.locator("#am-served")).to_have_text("1")
    town.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert re.search(r"南庄镇行政服务中心", popup.inner_text())


def test_the_hall_screen_calls_numbers_live(new_context, live_world):
    world = live_world
    page = new_context(user=world["clerk"]).new_page()
    page.goto(reverse("approvals-hall-screen", args=["H440604101"]))
    page.locator("#hs-status[data-status=live]").wait_for()
    off_loop(queue.ticket_issue, hall=world["town"], item=world["food"])
    off_loop(queue.ticket_issue, hall=world["town"], item=world["residence"])
    expect(page.locator("#hs-next > li")).to_have_text(["A001", "A002"])
    off_loop(queue.ticket_call_next, counter=Counter.objects.get(hall=world["town"], number=3), clerk=world["clerk"])
    row = page.locator("#hs-serving-rows tr")
    expect(row.locator("td").nth(0)).to_have_text("A001")
    expect(row.locator("td").nth(1)).to_have_text("3")
    expect(page.locator("#hs-waiting")).to_have_text("1")
    screenshot(page, "approvals-hall-screen")


def test_a_public_screen_without_login_polls(new_context, live_world):
    world = live_world
    off_loop(queue.ticket_issue, hall=world["town"], item=world["food"])
    page = new_context().new_page()
    page.goto(reverse("approvals-hall-screen", args=["H440604101"]))
    page.locator("#hs-status[data-status=polling]").wait_for()
    page.wait_for_function("document.getElementById('hs-next').children.length === 1")
