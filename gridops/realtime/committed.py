"""What this process has heard committed: a change counter per event family.

A reader that remembers a database answer for a moment (the incident tiles' data version,
`gridops.incidents.tile_version`) takes the family's counter before it reads and trusts the answer
only while the counter stands. The counter moves when this process commits an event of the family
(`services.schedule_push`, at once) and when its hub delivers one from the stream (every process's
commits, while a socket is open here). A counter, not the newest id: event ids are taken at insert
and commit in any order, so "nothing newer than id N" would miss a slower transaction's event.
"""
from __future__ import annotations

import threading

_counts: dict[str, int] = {}
_lock = threading.Lock()


def family(kind: str) -> str:
    """"incident" for "incident.created": the part before the first dot."""
    return kind.partition(".")[0]


def heard(kind: str) -> None:
    """An event of this kind was committed (here or, via the hub, anywhere)."""
    name = family(kind)
    with _lock:
        _counts[name] = _counts.get(name, 0) + 1


def changes(name: str) -> int:
    """The family's counter: compare two readings to learn whether one of its events committed between."""
    return _counts.get(name, 0)
