"""Record kinds: identity commitments, vendors, check-ins against geofence and curfew, notarisation."""
import json
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from gridops.accounts.models import Role
from gridops.core.errors import Forbidden, InvalidInput
from gridops.core.resident_id import resident_id_valid
from gridops.ledger import selectors
from gridops.ledger.services import corrections, identity, log, notary, vendors
from gridops.ledger.models import CheckIn, Entry

from .factories import user_with_role, zone_chain

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
VALID_ID = "11010519491231002X"


def test_resident_id_checksum():
    assert resident_id_valid(VALID_ID)
    assert resident_id_valid(VALID_ID.lower())
    assert not resident_id_valid("110105194912310021")
    assert not resident_id_valid("12345")


def test_identity_attestation_logs_a_commitment_never_the_number():
    clerk, citizen = user_with_role(Role.COUNTER_CLERK), user_with_role(Role.CITIZEN)
    att = identity.identity_attest(actor=clerk, subject=citizen, id_number=VALID_ID)
    leaf = bytes(Entry.objects.get(index=att.entry_id).leaf)
    assert VALID_ID.encode() not in leaf and b"19491231" not in leaf
    assert json.loads(leaf)["commitment"] == att.commitment
    assert identity.identity_matches(user=citizen, id_number=VALID_ID)
    assert not identity.identity_matches(user=citizen, id_number="110105194912310021")
    # The same number attested twice gives unrelated commitments (per-record salt).
    again = identity.identity_attest(actor=clerk, subject=citizen, id_number=VALID_ID)
    assert again.commitment != att.commitment
    with pytest.raises(Forbidden):
        identity.identity_attest(actor=citizen, subject=citizen, id_number=VALID_ID)
    with pytest.raises(InvalidInput) as err:
        identity.identity_attest(actor=clerk, subject=citizen, id_number="123")
    assert err.value.field == "id_number"


VENDOR = {"name": "陈姨菜档", "licence_no": "JY14406040012345", "market": "石湾市场", "stall_no": "A-12",
          "goods": "蔬菜", "lon": 113.105, "lat": 23.005}


def test_vendor_states_follow_the_log():
    zone_chain()
    operator = user_with_role(Role.DISTRICT_OPERATOR)
    vendor = vendors.vendor_register(actor=operator, data=VENDOR)
    assert vendor.grid is not None and vendor.grid.level == 4
    assert selectors.vendor_state(vendor) == "pending"
    log.sign_head()
    assert selectors.vendor_state(vendor) == "verified"
    vendor.stall_no = "B-1"  # changed without the ledger
    assert selectors.vendor_state(vendor) == "mismatch"
    vendor.stall_no = "A-12"
    moved = vendors.vendor_update(actor=operator, vendor=vendor, data={"stall_no": "B-1"})
    assert moved.entry_id > 0 and selectors.vendor_state(moved) == "pending"


def test_vendor_registration_checks_role_jurisdiction_and_fields():
    town, _ = zone_chain()
    other_town, _ = zone_chain(113.20, 23.10, suffix="002")
    with pytest.raises(Forbidden):
        vendors.vendor_register(actor=user_with_role(Role.CITIZEN), data=VENDOR)
    with pytest.raises(Forbidden):
        vendors.vendor_register(actor=user_with_role(Role.TOWN_OPERATOR, zone=other_town), data=VENDOR)
    assert vendors.vendor_register(actor=user_with_role(Role.TOWN_OPERATOR, zone=town), data=VENDOR).pk
    operator = user_with_role(Role.DISTRICT_OPERATOR)
    for bad, field in [({"name": ""}, "name"), ({"lon": "x"}, "lon"), ({"crs": "utm"}, "crs"), ({"licence_no": "x" * 41}, "licence_no")]:
        with pytest.raises(InvalidInput) as err:
            vendors.vendor_register(actor=operator, data={**VENDOR, **bad})
        assert err.value.field == field


@pytest.fixture
def supervision():
    town, grid = zone_chain()
    officer = user_with_role(Role.JUSTICE_OFFICER)
    person_user = user_with_role(Role.CITIZEN)
    person = corrections.supervision_create(actor=officer, data={
        "case_no": "SQJZ-2026-001", "name": "李某", "user_id": person_user.pk, "zone_codes": [town.code],
        "curfew_start": "22:00", "curfew_end": "06:00", "home_lon": 113.105, "home_lat": 23.005, "home_radius_m": 200,
    })
    return officer, person_user, person


def server_clock(monkeypatch, at: datetime) -> None:
    """The server's clock reads `at`: a person's own check-in is judged on it, not on their phone."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: at)


def test_checkin_inside_the_geofence_is_logged_and_not_flagged(supervision, monkeypatch):
    _, person_user, person = supervision
    at = datetime(2026, 5, 1, 10, 0, tzinfo=SHANGHAI)
    server_clock(monkeypatch, at)
    checkin = corrections.checkin_submit(actor=person_user, person=person, lon=113.102, lat=23.002, at=at)
    assert checkin.inside_geofence and not checkin.flagged
    assert json.loads(bytes(checkin.entry.leaf))["case_no"] == "SQJZ-2026-001"


def test_checkin_outside_the_geofence_is_logged_flagged_and_pushed(supervision, monkeypatch):
    from gridops.realtime.models import Event

    _, person_user, person = supervision
    at = datetime(2026, 5, 1, 10, 0, tzinfo=SHANGHAI)
    server_clock(monkeypatch, at)
    checkin = corrections.checkin_submit(actor=person_user, person=person, lon=113.30, lat=23.05, at=at)
    assert not checkin.inside_geofence and checkin.flagged and checkin.reasons == ["outside_geofence"]
    assert CheckIn.objects.filter(flagged=True).count() == 1
    event = Event.objects.get(kind="ledger.checkin")
    assert event.audiences == ["justice"] and event.payload["flagged"] is True  # not the district centre


def test_checkin_at_night_away_from_home_breaches_curfew(supervision, monkeypatch):
    _, person_user, person = supervision
    night = datetime(2026, 5, 1, 23, 30, tzinfo=SHANGHAI)
    server_clock(monkeypatch, night)
    near_home = corrections.checkin_submit(actor=person_user, person=person, lon=113.1051, lat=23.0051, at=night)
    assert not near_home.flagged
    away = corrections.checkin_submit(actor=person_user, person=person, lon=113.108, lat=23.008, at=night)
    assert away.inside_geofence and away.curfew_breach and away.reasons == ["curfew_away_from_home"]


def test_a_phone_set_back_does_not_escape_the_curfew(supervision, monkeypatch):
    """Issue 11, finding 5: the person's own time is a claim; the server's clock judges the curfew."""
    officer, person_user, person = supervision
    night = datetime(2026, 5, 1, 23, 30, tzinfo=SHANGHAI)
    server_clock(monkeypatch, night)
    evening = datetime(2026, 5, 1, 20, 0, tzinfo=SHANGHAI)  # outside the 22:00-06:00 curfew
    away = corrections.checkin_submit(actor=person_user, person=person, lon=113.108, lat=23.008, at=evening)
    assert away.curfew_breach and away.reasons == ["curfew_away_from_home"]
    assert away.at == evening and away.received_at == night  # the claim is kept beside the server's time
    for claimed in (datetime(2026, 4, 27, 20, 0, tzinfo=SHANGHAI), datetime(2026, 5, 2, 9, 0, tzinfo=SHANGHAI)):
        with pytest.raises(InvalidInput) as err:  # older than the capture window / ahead of the server
            corrections.checkin_submit(actor=person_user, person=person, lon=113.108, lat=23.008, at=claimed)
        assert err.value.field == "at"
    # An officer recording a visit afterwards gives its time, and it is judged at that time.
    visit = corrections.checkin_submit(actor=officer, person=person, lon=113.108, lat=23.008, at=evening)
    assert not visit.curfew_breach


def test_checkin_from_gcj02_is_converted(supervision):
    from geodata.coords import to_wgs84

    _, person_user, person = supervision
    checkin = corrections.checkin_submit(actor=person_user, person=person, lon=113.108, lat=23.003, crs="gcj02")
    assert checkin.point.x == pytest.approx(to_wgs84(113.108, 23.003, "gcj02")[0])


def test_only_the_person_or_an_officer_checks_in(supervision):
    officer, _, person = supervision
    with pytest.raises(Forbidden):
        corrections.checkin_submit(actor=user_with_role(Role.CITIZEN), person=person, lon=113.1, lat=23.0)
    assert corrections.checkin_submit(actor=officer, person=person, lon=113.102, lat=23.002).pk
    with pytest.raises(InvalidInput) as err:
        corrections.checkin_submit(actor=officer, person=person, lon=113.1, lat=23.0, at="yesterday")
    assert err.value.field == "at"


def test_notarisation_returns_a_receipt_against_a_fresh_head():
    user = user_with_role(Role.CITIZEN)
    notarisation, receipt = notary.notarise(user=user, sha256="AB" * 32, title="租赁合同")
    assert notarisation.sha256 == "ab" * 32
    assert receipt["head"]["tree_size"] == notarisation.entry_id + 1
    with pytest.raises(InvalidInput) as err:
        notary.notarise(user=user, sha256="xyz")
    assert err.value.field == "sha256"
