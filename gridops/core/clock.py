"""Whose clock decides: the server's. A device's clock is a claim, kept only within bounds.

Deadlines, escalation, duplicate windows, curfews and KPIs run on the server's time of arrival.
A tablet, phone or check-in app may say when *it* saw something (an offline outbox sends reports
hours later); that time is stored beside the server's, for people to read, if it is plausible:

- not ahead of the server by more than `GRIDOPS_CAPTURE_CLOCK_SKEW_SECONDS` (300 s);
- not older than `GRIDOPS_CAPTURE_MAX_AGE_HOURS` (72 h: a shift or a weekend offline).

Outside those bounds it is refused with a 400 naming the field, not clamped (a clamped time is a
time nobody saw); clients that queue offline resend without it, so nothing is lost.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .errors import InvalidInput


def max_age_hours() -> float:
    return float(getattr(settings, "GRIDOPS_CAPTURE_MAX_AGE_HOURS", 72.0))


def clock_skew_seconds() -> float:
    return float(getattr(settings, "GRIDOPS_CAPTURE_CLOCK_SKEW_SECONDS", 300.0))


def parse_time(value, field: str) -> datetime:
    """An ISO 8601 date-time (a naive one is read in the district's time zone), else a 400."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:  # well formed but impossible (30 February)
            parsed = None
    if parsed is None:
        raise InvalidInput("not an ISO 8601 date-time", field=field)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def device_time(value, *, now: datetime, field: str) -> datetime | None:
    """A device's claim of when something happened, within the bounds above; None when absent."""
    if value in (None, ""):
        return None
    claimed = parse_time(value, field)
    if claimed > now + timedelta(seconds=clock_skew_seconds()):
        raise InvalidInput(f"{field} is in the future (is the device's clock right?)", field=field)
    oldest = max_age_hours()
    if claimed < now - timedelta(hours=oldest):
        raise InvalidInput(f"{field} is more than {oldest:g} hours ago", field=field)
    return claimed
