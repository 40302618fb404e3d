"""Open311 settings, read in one place (tests override them with `settings`)."""
import os

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def api_keys() -> dict[str, str]:
    """Bootstrap keys: API key → client name, from configuration. Empty by default.

    Keys are normally issued in the admin or with `manage.py open311_key create` (stored hashed,
    revocable: see `keys.py`). This setting remains for a first client before anyone has reached
    the admin, and for tests; set `GRIDOPS_OPEN311_API_KEYS` as a dict, or in the environment as
    `key1:name1,key2:name2`. Such a key cannot be revoked except by a deploy.
    """
    keys = _get("GRIDOPS_OPEN311_API_KEYS", os.environ.get("GRIDOPS_OPEN311_API_KEYS", "")) or {}
    if isinstance(keys, str):
        keys = dict((item.split(":", 1) + [""])[:2] for item in keys.split(",") if item.strip())
    return {str(k).strip(): str(v).strip() for k, v in keys.items() if str(k).strip()}


def jurisdiction_id() -> str:
    """The one jurisdiction this endpoint serves; a request naming another is refused."""
    return str(_get("GRIDOPS_OPEN311_JURISDICTION_ID", "chancheng.foshan.gov.cn"))


def max_window_days() -> int:
    """GeoReport v2: a GET requests date range may not exceed 90 days."""
    return int(_get("GRIDOPS_OPEN311_MAX_WINDOW_DAYS", 90))


def max_requests() -> int:
    """At most this many requests in one GET requests answer (the spec's suggested 1000)."""
    return int(_get("GRIDOPS_OPEN311_MAX_REQUESTS", 1000))


def public_kinds() -> tuple[str, ...]:
    """Category kinds Open311 offers (services, POST, and the public feed). Social-governance
    cases (disputes, public-security leads, special groups) are neither offered nor listed."""
    return tuple(_get("GRIDOPS_OPEN311_PUBLIC_KINDS", ("component", "event")))
