"""Open311 API keys: issue, revoke, list, and the check a POST runs (the one home of that rule).

Database keys are the normal way. `GRIDOPS_OPEN311_API_KEYS` (settings or environment) is kept as
a bootstrap for a first client before anyone has reached the admin; it is compared in constant
time and never stored.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from gridops.core.errors import Forbidden

from . import conf
from .models import Open311Key


class UnknownKey(Exception):
    """A key the command line named does not exist (or is already revoked)."""


@dataclass(frozen=True)
class Client:
    name: str
    key: Open311Key | None  # None: the bootstrap key from settings


def key_issue(*, name: str, days: int | None = None) -> tuple[Open311Key, str]:
    """A new key for `name`; the raw key is returned once and never stored."""
    name = (name or "").strip()[:50]
    if not name:
        raise UnknownKey("a key needs the name of the client app it is for")
    expiry = timezone.now() + timedelta(days=days) if days else None
    return Open311Key.objects.create_key(name=name, expiry_date=expiry)


def key_revoke(*, prefix: str) -> Open311Key:
    key = Open311Key.objects.filter(prefix=prefix.strip(), revoked=False).first()
    if key is None:
        raise UnknownKey(f"no usable key with prefix {prefix!r}")
    key.revoked = True
    key.save(update_fields=["revoked"])
    return key


def key_rows() -> list[tuple]:
    rows = []
    for key in Open311Key.objects.order_by("created"):
        state = "revoked" if key.revoked else ("expired" if key.has_expired else "active")
        rows.append((key.prefix, key.name, state, key.created.isoformat(timespec="seconds"),
                     key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "-"))
    return rows


def client_for(raw: str) -> Client:
    """The client a POST's `api_key` belongs to; 403 when it is missing, unknown, revoked or expired
    (GeoReport v2: 403 is the answer for an invalid api_key)."""
    raw = (raw or "").strip()
    if not raw:
        raise Forbidden("api_key is required to submit a request", field="api_key")
    if "." in raw:
        try:
            key = Open311Key.objects.get_from_key(raw)
        except Open311Key.DoesNotExist:
            key = None
        if key is not None and not key.has_expired:
            Open311Key.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
            return Client(key.name, key)
    for known, name in conf.api_keys().items():
        if hmac.compare_digest(known.encode(), raw.encode()):
            return Client(name or "open311", None)
    raise Forbidden("api_key is invalid, revoked or expired", field="api_key")
