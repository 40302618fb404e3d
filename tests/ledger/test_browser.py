"""In Chromium: a vendor's page proves its record in the browser; the officers' view flags check-ins."""
import threading

import pytest

from gridops.accounts.models import Role
from gridops.ledger.services import corrections, log, vendors
from gridops.ledger.models import Vendor
from tests.browser_support import screenshot

from .factories import user_with_role, zone_chain

pytestmark = pytest.mark.django_db(transaction=True)

VENDOR = {"name": "陈姨菜档", "licence_no": "JY14406040012345", "market": "石湾市场", "stall_no": "A-12",
          "goods": "蔬菜", "lon": 113.105, "lat": 23.005}


def _in_thread(func):
    from django.db import connections

    errors = []

    def run():
        try:
            func()
        except Exception as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_vendor_page_verifies_the_record_in_the_browser(new_context):
    zone_chain()
    vendor = vendors.vendor_register(actor=user_with_role(Role.DISTRICT_OPERATOR), data=VENDOR)
    log.sign_head()
    page = new_context().new_page()
    assert _verified_in_browser(page, vendor.code, "ledger-vendor-verified") == "yes"
    assert page.locator("#proof-steps li.ok").count() == 4
    assert "已核验" in page.inner_text("#state-badge")

    Vendor.objects.filter(pk=vendor.pk).update(licence_no="FORGED-1")  # changed around the ledger
    assert _verified_in_browser(page, vendor.code, "ledger-vendor-mismatch") == "no"
    assert page.locator('#proof-steps li.fail[data-step="record"]').count() == 1
    assert "与账本不符" in page.inner_text("#state-badge")


def _verified_in_browser(page, code: str, shot: str) -> str:
    page.goto(f"/ledger/vendors/{code}/")
    page.wait_for_selector("#vendor-page[data-verified]", timeout=15000)
    screenshot(page, shot)
    return page.get_attribute("#vendor-page", "data-verified")


def test_officers_view_flags_the_check_in_outside_the_geofence(new_context):
    town, _ = zone_chain()
    officer = user_with_role(Role.JUSTICE_OFFICER)
    person = corrections.supervision_create(actor=officer, data={"case_no": "SQJZ-1", "name": "李某", "zone_codes": [town.code]})
    # publish_event pushes after commit with async_to_sync, which cannot run on Playwright's loop thread.
    _in_thread(lambda: [corrections.checkin_submit(actor=officer, person=person, lon=lon, lat=lat)
                        for lon, lat in ((113.105, 23.005), (113.30, 23.05))])
    page = new_context(user=officer).new_page()
    page.goto("/ledger/corrections/")
    page.wait_for_selector("#corrections[data-points='2']", timeout=15000)
    rows = page.locator("#flagged-table tbody tr.flagged")
    assert rows.count() == 1 and "越出电子围栏" in rows.first.inner_text()
    screenshot(page, "ledger-corrections")

    citizen_page = new_context(user=user_with_role(Role.CITIZEN)).new_page()
    assert citizen_page.goto("/ledger/corrections/").status == 403
