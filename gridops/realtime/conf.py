"""Settings of the realtime app, read once (tests override them with `settings` fixtures)."""
from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def catchup_limit() -> int:
    """At most this many missed events are replayed on reconnect; older gaps need a page reload."""
    return int(_get("GRIDOPS_REALTIME_CATCHUP_LIMIT", 5000))


def catchup_grace_seconds() -> float:
    """Events created this recently are replayed even with id <= last_id.

    Ids are taken at insert but become visible at commit, so a slow transaction can commit an id
    lower than one the client already saw; replaying a short window (clients de-duplicate by id)
    closes that gap.
    """
    return float(_get("GRIDOPS_REALTIME_CATCHUP_GRACE", 10.0))


def retention_days() -> int:
    """Events older than this are pruned by the worker tick (clients older than that reload)."""
    return int(_get("GRIDOPS_REALTIME_RETENTION_DAYS", 14))


def send_timeout_seconds() -> float:
    """Upper bound on one after-commit push; a stuck Redis must not hold the request."""
    return float(_get("GRIDOPS_REALTIME_SEND_TIMEOUT", 2.0))


def resync_seconds() -> float:
    """Every open socket re-reads the event table this often (0: never) and sends what the live
    channel did not bring: a push that timed out or expired in Redis under load is then late,
    not lost, even though the socket never dropped and so never asked to catch up."""
    return float(_get("GRIDOPS_REALTIME_RESYNC_SECONDS", 5.0))


def push_inline() -> bool:
    """Push in the committing thread (waiting on Redis) instead of the background push loop;
    for tests that assert on a push synchronously."""
    return bool(_get("GRIDOPS_REALTIME_PUSH_INLINE", False))
