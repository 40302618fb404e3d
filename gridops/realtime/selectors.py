"""Reads of the realtime app: who hears which audiences, and what a reconnecting client missed."""
from __future__ import annotations

import importlib
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of

from . import audiences as aud
from . import conf
from .models import Event


def _extra_providers():
    """Other apps add audiences (e.g. a clerk's hall) through dotted `f(user) -> iterable` paths."""
    for dotted in getattr(settings, "GRIDOPS_REALTIME_AUDIENCE_PROVIDERS", ()):
        module_name, func_name = dotted.rsplit(".", 1)
        yield getattr(importlib.import_module(module_name), func_name)


def audiences_of(user) -> list[str]:
    """The audiences a user may hear.

    Incidents: the user's grants (`gridops.incidents.jurisdiction`, the same definition as the
    incident query filter, so what they may see is what they are pushed) and `user.<id>`;
    justice officers → justice; every signed-in user → public; other apps add theirs through
    GRIDOPS_REALTIME_AUDIENCE_PROVIDERS. Anonymous users hear nothing.
    """
    from gridops.incidents.jurisdiction import role_grants

    if user is None or not user.is_authenticated:
        return []
    names = {aud.PUBLIC, aud.user(user.pk)}
    names.update(grant.audience for grant in role_grants(user))
    if role_of(user) == Role.JUSTICE_OFFICER:
        names.add(aud.JUSTICE)
    for provider in _extra_providers():
        names.update(aud.validate(name) for name in provider(user))
    return sorted(names)


def latest_event_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _partition_bound(last_id: int) -> Q:
    """A time bound for `id > last_id`, so that the catch-up reads only the day partitions from
    the client's last event on (realtime_event is partitioned by created_at): later ids were
    stamped no earlier than that event, less the clock slack between nodes. An id the table no
    longer holds (expired, or never issued) gives no bound."""
    anchor = Event.objects.filter(id=last_id).values_list("created_at", flat=True).first()
    if anchor is None:
        return Q()
    return Q(created_at__gte=anchor - timedelta(seconds=conf.catchup_clock_slack_seconds()))


def events_since(*, audiences: list[str], last_id: int, limit: int | None = None) -> tuple[list[dict], bool]:
    """Events for these audiences after `last_id` (plus a short grace window), oldest first.

    Returns (events as dicts, truncated). Truncated means the client missed more than the replay
    limit and must reload its data instead of replaying.
    """
    if not audiences:
        return [], False
    limit = limit or conf.catchup_limit()
    recent = timezone.now() - timedelta(seconds=conf.catchup_grace_seconds())
    rows = list(
        Event.objects.filter(audiences__overlap=audiences)
        .filter((Q(id__gt=last_id) & _partition_bound(last_id)) | Q(created_at__gte=recent))
        .order_by("id")
        .values("id", "kind", "payload")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def kpi_strip(user, *, categories=(), priorities=()) -> dict:
    """The console's KPI strip for the user's jurisdiction: open, overdue, closure rate today.

    Closure rate today (办结率) = incidents reported today that are already resolved, verified or
    closed, over all of today's incidents that are not void; None when nothing was reported.
    """
    from gridops.incidents.models import OPEN_STATUSES, Status
    from gridops.incidents.selectors import incidents_visible_to, overdue_q

    qs = incidents_visible_to(user)
    if categories:
        qs = qs.filter(category__code__in=categories)
    if priorities:
        qs = qs.filter(priority__in=priorities)
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    figures = qs.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q()),
        today=Count("id", filter=Q(reported_at__gte=start) & ~Q(status=Status.VOID)),
        closed_today=Count("id", filter=Q(reported_at__gte=start,
                                           status__in=[Status.RESOLVED, Status.VERIFIED, Status.CLOSED])),
    )
    rate = figures["closed_today"] / figures["today"] if figures["today"] else None
    return {"open": figures["open"], "overdue": figures["overdue"], "reported_today": figures["today"],
            "closed_today": figures["closed_today"], "closure_rate_today": rate}
