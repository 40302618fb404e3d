"""What the command centre's big screen (指挥大屏) shows, composed from each app's KPI selectors.

Nothing is computed here: incidents come from `incidents.kpis.incident_kpis` (the KPI API's
function), approvals from `approvals.kpis.kpis`, seats from the education balance, the
ledger from its tree state. This module only picks the zone and the period, asks each home once
and arranges the answers, so a figure on the wall is the figure the API gives for the same
viewer, zone and period.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from geodata.models import Level, Zone
from gridops.accounts.models import Role
from gridops.accounts.selectors import profile_of, role_of
from gridops.approvals import kpis as approvals
from gridops.core.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from gridops.core.numbers import parse_number
from gridops.education import selectors as education
from gridops.education.projection import projection_from
from gridops.incidents import kpis
from gridops.incidents.selectors import newest_first, with_related
from gridops.incidents.services.trail import incident_payload
from gridops.ledger import selectors as ledger
from gridops.realtime.selectors import latest_event_id

from . import conf

# Who may look at a screen: the wall display's own account and the operators of a centre.
SCREEN_ROLES = frozenset({Role.SCREEN, Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR})
TREND_DAYS = 30
FEED_SIZE = 14
TOP_CATEGORIES = 8
MAX_PERIOD_DAYS = 366
# The ranking one level below the screen's zone: towns on the district's screen, areas on a town's.
RANKED_BY = {Level.DISTRICT: ("town", Level.TOWN), Level.TOWN: ("area", Level.AREA)}


def require_viewer(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated("sign in first")
    if role_of(user) not in SCREEN_ROLES:
        raise Forbidden("the command centre's screen is for screen accounts and centre operators")


def _home(user) -> Zone:
    """The viewer's jurisdiction: their profile's zone (superusers: the district)."""
    profile = profile_of(user)
    zone_id = profile.zone_id if profile else None
    qs = Zone.objects.defer("geom")
    home = qs.filter(pk=zone_id).first() if zone_id else qs.filter(level=Level.DISTRICT).first()
    if home is None:
        raise Forbidden("this account has no jurisdiction to show", field="zone")
    return home


def screen_zone(user, code: str | None = None) -> Zone:
    """The district or town a screen shows: the one asked for, if the viewer's jurisdiction holds it."""
    require_viewer(user)
    home = _home(user)
    if not code:
        return home
    zone = Zone.objects.defer("geom").filter(code=code).first()
    if zone is None:
        raise NotFound(f"zone {code!r} not found", field="zone")
    if zone.level not in RANKED_BY:
        raise InvalidInput("a screen shows the district or one town", field="zone")
    if not zone.code.startswith(home.code):
        raise Forbidden(f"zone {code} is outside your jurisdiction", field="zone")
    return zone


def period_days(value) -> int:
    """The number of days of the period figures (default from the settings)."""
    return parse_number(value, "days", low=1, high=MAX_PERIOD_DAYS, default=conf.period_days(), whole=True)


def _trend(user, zone: Zone, today: date) -> list[dict]:
    """Reports and 办结 per day over the last TREND_DAYS days, days without reports as zeros."""
    first = today - timedelta(days=TREND_DAYS - 1)
    query = kpis.KpiQuery(zone=zone.code, start=first, end=today, group_by="day")
    groups = {g["key"]: g for g in kpis.incident_kpis(user, query)["groups"]}
    days = [(first + timedelta(days=n)).isoformat() for n in range(TREND_DAYS)]
    return [{"day": day, "total": groups.get(day, {}).get("total", 0),
             "resolved_or_later": groups.get(day, {}).get("resolved_or_later", 0)} for day in days]


def _ranking(user, zone: Zone, start: date, today: date) -> dict:
    """Zones one level down by 办结率 (then by volume): the league table leaders look at."""
    group_by, level = RANKED_BY[zone.level]
    query = kpis.KpiQuery(zone=zone.code, start=start, end=today, group_by=group_by)
    rows = [{"code": g["key"], "label": g["label"], "total": g["total"], "closure_rate": g["closure_rate"],
             "on_time_rate": g["on_time_rate"]} for g in kpis.incident_kpis(user, query)["groups"]]
    rows.sort(key=lambda r: (-(r["closure_rate"] or 0), -r["total"], r["code"] or ""))
    return {"level": group_by, "rows": rows}


def _incidents_live(user, zone: Zone, start: date, today: date, period: dict | None = None) -> dict:
    """What a new report changes at once: today's and the period's figures, the trend, the feed."""
    if period is None:
        period = kpis.incident_kpis(user, kpis.KpiQuery(zone=zone.code, start=start, end=today))
    today_query = kpis.KpiQuery(zone=zone.code, start=today, end=today)
    feed = newest_first(with_related(kpis.filtered(user, kpis.KpiQuery(zone=zone.code))), user)[:FEED_SIZE]
    return {
        "today": kpis.incident_kpis(user, today_query)["overall"],
        "period": period["overall"],
        "trend": _trend(user, zone, today),
        "feed": [incident_payload(incident) for incident in feed],
    }


def _incidents(user, zone: Zone, start: date, today: date) -> dict:
    period = kpis.incident_kpis(user, kpis.KpiQuery(zone=zone.code, start=start, end=today, group_by="category"))
    categories = sorted(period["groups"], key=lambda g: (-g["total"], g["key"] or ""))[:TOP_CATEGORIES]
    return {
        **_incidents_live(user, zone, start, today, period),
        "categories": [{"code": g["key"], "label": g["label"], "total": g["total"]} for g in categories],
        "ranking": _ranking(user, zone, start, today),
    }


def _approvals_row(zone: Zone, start: date, end: date) -> dict:
    rows = approvals.kpis(by="district", start=start, end=end, zone=zone.code)
    row = rows[0] if rows else {"cases": 0, "median_handling_s": None, "median_wait_s": None, "satisfaction_rate": None}
    return {key: row[key] for key in ("cases", "median_handling_s", "median_wait_s", "satisfaction_rate")}


def _seats(zone: Zone) -> dict:
    """Seat gap per town and level under the published catchment plan, in the base year."""
    plan = education.published_plan()
    if plan is None:
        return {"plan": None, "towns": []}
    rows = education.seat_gap_by_town(education.plan_balance(plan, projection_from({})))
    rows = [row for row in rows if row["town"].startswith(zone.code)]
    names = dict(Zone.objects.filter(code__in={row["town"] for row in rows}).values_list("code", "name"))
    return {"plan": {"id": plan.pk, "name": plan.name, "school_year": plan.school_year},
            "towns": [row | {"name": names.get(row["town"], row["town"])} for row in rows]}


def _ledger() -> dict:
    head = ledger.latest_head()
    return {"size": ledger.tree_size(), "head": ledger.head_json(head) if head else None}


PARTS = ("all", "live")


def screen_summary(user, *, zone: Zone, days: int, part: str = "all", now: datetime | None = None) -> dict:
    """Every figure of the screen for `zone` as `user` may see it: today, the period, the trend.

    `part="live"` answers only what a new report changes (today's and the period's figures, the
    trend, the feed): the page asks for it on every incident event, and for everything (rankings,
    approvals, seats, ledger) once a minute.
    """
    if part not in PARTS:
        raise InvalidInput(f"part must be one of {', '.join(PARTS)}", field="part")
    now = now or timezone.now()
    today = timezone.localdate(now)
    start = today - timedelta(days=days - 1)
    # Read before the figures: a live event with a higher id may not be in them yet (the page adds
    # such reports to today's count until an answer's `event_id` covers them).
    event_id = latest_event_id()
    head = {
        "zone": {"code": zone.code, "name": zone.name, "level": zone.level},
        "today": today.isoformat(),
        "period": {"start": start.isoformat(), "end": today.isoformat(), "days": days},
        "part": part,
        "event_id": event_id,
        "at": now.isoformat(),
    }
    if part == "live":
        return head | {"incidents": _incidents_live(user, zone, start, today)}
    return head | {
        "incidents": _incidents(user, zone, start, today),
        "approvals": {"today": _approvals_row(zone, today, today), "period": _approvals_row(zone, start, today)},
        "seats": _seats(zone),
        "ledger": _ledger(),
        "seed": conf.seed_figures(),
    }
