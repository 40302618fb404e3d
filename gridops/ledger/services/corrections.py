"""Community corrections: supervision with a geofence and curfew, and check-ins judged against them."""
from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from geodata.coords import input_accuracy, input_point
from geodata.models import Zone
from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of
from gridops.core import authz, clock
from gridops.core.errors import InvalidInput
from gridops.core.numbers import parse_number

from .. import records, rules, selectors
from ..models import CheckIn, Kind, SupervisedPerson
from .log import append_record


def _parse_time(value, field: str):
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, time) else time.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a time like 22:00", field=field) from None


MAX_INT = 2**31 - 1  # the integer columns' range


def supervision_create(*, actor, data: dict) -> SupervisedPerson:
    """A justice officer puts a person under supervision with a geofence and curfew."""
    selectors.require_justice(actor)
    case_no = str(data.get("case_no") or "").strip()
    name = str(data.get("name") or "").strip()
    if not case_no or len(case_no) > 32:
        raise InvalidInput("case_no is required (at most 32 characters)", field="case_no")
    if not name or len(name) > 32:
        raise InvalidInput("name is required (at most 32 characters)", field="name")
    if SupervisedPerson.objects.filter(case_no=case_no).exists():
        raise InvalidInput(f"case {case_no} already exists", field="case_no")
    codes = data.get("zone_codes") or []
    if not isinstance(codes, list) or not codes:
        raise InvalidInput("zone_codes must list the zones the person may be in", field="zone_codes")
    zones = list(Zone.objects.filter(code__in=[str(c) for c in codes]))
    if len(zones) != len(set(map(str, codes))):
        missing = sorted(set(map(str, codes)) - {z.code for z in zones})
        raise InvalidInput(f"unknown zone {missing[0]}", field="zone_codes")
    home = None
    if data.get("home_lon") is not None or data.get("home_lat") is not None:
        home, _ = input_point(data.get("home_lon"), data.get("home_lat"), data.get("crs"), prefix="home_")
    user = None
    if data.get("user_id") is not None:
        user_id = parse_number(data["user_id"], "user_id", low=0, high=MAX_INT, whole=True)
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None:
            raise InvalidInput("no such user", field="user_id")
    with transaction.atomic():
        person = SupervisedPerson.objects.create(
            case_no=case_no, name=name, user=user, officer=actor, home=home,
            home_radius_m=parse_number(data.get("home_radius_m"), "home_radius_m", low=1, high=100_000, default=200,
                                       whole=True),
            curfew_start=_parse_time(data.get("curfew_start"), "curfew_start"),
            curfew_end=_parse_time(data.get("curfew_end"), "curfew_end"),
        )
        person.allowed_zones.set(zones)
    return person


def _home_distance_m(person: SupervisedPerson, point: Point) -> float | None:
    if person.home is None:
        return None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Distance(ST_GeomFromEWKB(%s)::geography, ST_GeomFromEWKB(%s)::geography)",
            [bytes(person.home.ewkb), bytes(point.ewkb)],
        )
        return float(cur.fetchone()[0])


def checkin_submit(*, actor, person: SupervisedPerson, lon, lat, at=None, crs: str | None = None, accuracy_m=None,
                   received_at: datetime | None = None) -> CheckIn:
    """Record a check-in: judged against geofence and curfew, logged whatever the verdict,
    and pushed live to the justice officers.

    `received_at` is the server's time of arrival; only a backfill of history (the demo) passes
    it, so that a check-in of three days ago is judged as it would have been then."""
    authz.require_may_act(actor, person)  # the person themselves, or a justice officer
    if not person.active:
        raise InvalidInput("this supervision has ended", field="person")
    point, _ = input_point(lon, lat, crs)
    now = received_at or timezone.now()
    officer = role_of(actor) == Role.JUSTICE_OFFICER
    if not officer:
        # The person's own phone only *claims* a time (kept, within `core.clock`'s bounds); the
        # server's clock judges curfew and term, or a phone set back to 20:00 would turn a
        # 23:30 check-in away from home into a permitted one.
        at = clock.device_time(at, now=now, field="at") or now
    if at in (None, ""):
        at = now
    elif not isinstance(at, datetime):
        try:
            parsed = parse_datetime(str(at))
        except ValueError:  # well formed but impossible, e.g. 30 February
            parsed = None
        if parsed is None or timezone.is_naive(parsed):
            raise InvalidInput("at must be an ISO 8601 time with a zone", field="at")
        at = parsed
    if at > now + timezone.timedelta(minutes=5):
        raise InvalidInput("at is in the future", field="at")
    accuracy_m = input_accuracy(accuracy_m)
    local = timezone.localtime(at if officer else now)  # an officer records a visit at its time
    inside = person.allowed_zones.filter(geom__intersects=point).exists()
    verdict = rules.judge_checkin(
        inside_geofence=inside, local_time=local.time(), local_date=local.date(),
        curfew_start=person.curfew_start, curfew_end=person.curfew_end,
        home_distance_m=_home_distance_m(person, point), home_radius_m=person.home_radius_m,
        accuracy_m=accuracy_m, term_start=person.starts_on, term_end=person.ends_on,
    )
    checkin = CheckIn(
        person=person, point=point, accuracy_m=accuracy_m, at=at, received_at=now,
        inside_geofence=verdict.inside_geofence, curfew_breach=verdict.curfew_breach,
        flagged=verdict.flagged, reasons=verdict.reasons, grid=selectors.grid_at(point),
    )
    with transaction.atomic():
        checkin.entry = append_record(Kind.CHECKIN, records.checkin_record(checkin), created_at=now)
        checkin.save()
        _publish_checkin(checkin)
    return checkin


def _publish_checkin(checkin: CheckIn) -> None:
    from gridops.realtime.services import publish_event

    publish_event(
        kind="ledger.checkin",
        payload={
            "id": checkin.pk, "case_no": checkin.person.case_no, "name": checkin.person.name,
            "lon": checkin.point.x, "lat": checkin.point.y, "at": checkin.at.isoformat(),
            "flagged": checkin.flagged, "reasons": checkin.reasons, "entry": checkin.entry_id,
        },
        audiences=["justice"],
        restricted=True,  # personal data: justice officers only, not the district centre
    )
