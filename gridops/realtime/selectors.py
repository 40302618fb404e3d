"""Reads of the realtime app: who hears which audiences, and what a reconnecting client missed."""
from __future__ import annotations

import importlib
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from gridops.accounts.models import Role
from gridops.accounts.selectors import profile_of, role_of

from . import audiences as aud
from . import conf
from .models import Event


def _extra_providers():
    """Other apps add audiences (e.g. a clerk's hall) through dotted `f(user) -> iterable` paths."""
    for dotted in getattr(settings, "GRIDOPS_REALTIME_AUDIENCE_PROVIDERS", ()):
        module_name, func_name = dotted.rsplit(".", 1)
        yield getattr(importlib.import_module(module_name), func_name)


def audiences_of(user) -> list[str]:
    """The audiences a user may hear, from their profile (dispatch's jurisdiction rules).

    district operator → district; town operator → town.<code>; department handler → dept.<code>;
    grid worker → grid.<code> for each of their micro-grids; justice officer → justice; every
    signed-in user → public and user.<id>. Anonymous users hear nothing.
    """
    if user is None or not user.is_authenticated:
        return []
    names = {aud.PUBLIC, aud.user(user.pk)}
    role = role_of(user)
    profile = profile_of(user)
    if role == Role.DISTRICT_OPERATOR:
        names.add(aud.DISTRICT)
    elif profile is not None and role == Role.TOWN_OPERATOR and profile.zone_id:
        names.add(aud.town(profile.zone.code))
    elif profile is not None and role == Role.DEPARTMENT_HANDLER and profile.department_id:
        names.add(aud.dept(profile.department.code))
    elif profile is not None and role == Role.GRID_WORKER:
        names.update(aud.grid(code) for code in profile.grids.values_list("code", flat=True))
    elif role == Role.JUSTICE_OFFICER:
        names.add(aud.JUSTICE)
    for provider in _extra_providers():
        names.update(aud.validate(name) for name in provider(user))
    return sorted(names)


def latest_event_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


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
        .filter(Q(id__gt=last_id) | Q(created_at__gte=recent))
        .order_by("id")
        .values("id", "kind", "payload")[: limit + 1]
    )
    return rows[:limit], len(rows) > limit
