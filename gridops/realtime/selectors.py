"""Reads of the realtime app: who hears which audiences, and what a reconnecting client missed."""
from __future__ import annotations

import importlib
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
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

    Every signed-in user → public and `user.<id>`; justice officers → justice. The domain apps
    add theirs through GRIDOPS_REALTIME_AUDIENCE_PROVIDERS (dotted paths in settings, so this app,
    which every domain app publishes through, imports none of them): incidents its jurisdiction
    grants (`gridops.incidents.jurisdiction`, the same definition as the incident query filter,
    so what they may see is what they are pushed), approvals a clerk's halls. Anonymous users
    hear nothing.
    """
    if user is None or not user.is_authenticated:
        return []
    names = {aud.PUBLIC, aud.user(user.pk)}
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
