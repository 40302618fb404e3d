"""Settings of the realtime app, read once (tests override them with `settings` fixtures)."""
import os

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


def catchup_clock_slack_seconds() -> float:
    """How much earlier than the client's last event a later id may be stamped (created_at comes
    from the writing node's clock); the catch-up's partition bound allows for it."""
    return float(_get("GRIDOPS_REALTIME_CLOCK_SLACK", 300.0))


def retention_days() -> int:
    """Events older than this are pruned by the worker tick (clients older than that reload)."""
    return int(_get("GRIDOPS_REALTIME_RETENTION_DAYS", 14))


def send_timeout_seconds() -> float:
    """Upper bound on one Redis call of the live path; a stuck Redis must not hold anything."""
    return float(_get("GRIDOPS_REALTIME_SEND_TIMEOUT", 2.0))


def fallback_poll_seconds() -> float:
    """Each process (not each socket) re-reads the last seconds of the event table this often
    and delivers what the stream did not bring (0: never). A safety net under the live path,
    switched off in measurements (`GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS=0`) so that the live
    path is what is counted."""
    return float(_get("GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS", os.environ.get("GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS", 15.0)))


def reorder_wait_seconds() -> float:
    """How long a process's hub holds events behind a missing id (a slower transaction that has
    not committed yet) before looking the id up in the table and moving on."""
    return float(_get("GRIDOPS_REALTIME_REORDER_WAIT", 0.2))


def stream_block_seconds() -> float:
    """The hub's blocking XREAD; its Redis read timeout is this plus a margin (redis-py 8 cuts
    any read at 5 s by default)."""
    return float(_get("GRIDOPS_REALTIME_STREAM_BLOCK", 5.0))


def stream_maxlen() -> int:
    """Entries kept in the Redis stream (approximately); the table holds the history."""
    return int(_get("GRIDOPS_REALTIME_STREAM_MAXLEN", 100_000))


def socket_queue_size() -> int:
    """Events queued for one socket before it is closed as too slow (it reconnects, catches up)."""
    return int(_get("GRIDOPS_REALTIME_SOCKET_QUEUE", 5000))


def batch_size() -> int:
    """At most this many events in one frame of a socket opened with `?batch=1`."""
    return max(1, int(_get("GRIDOPS_REALTIME_BATCH_SIZE", 200)))


def coalesce_seconds() -> float:
    """After a read that brought several events (commits are arriving faster than one per
    read), the hub waits this long before reading again, so what commits meanwhile is delivered
    together (one frame per batching socket). It bounds the delay it adds to a push under load;
    a read that brought one event is followed at once by the next; 0 never waits."""
    return max(0.0, float(_get("GRIDOPS_REALTIME_COALESCE_MS", 20.0))) / 1000


def push_inline() -> bool:
    """Append to the stream in the committing thread (waiting on Redis) instead of the
    background appender; for tests that assert on a push synchronously."""
    return bool(_get("GRIDOPS_REALTIME_PUSH_INLINE", False))
