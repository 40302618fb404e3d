"""The incident layers' data version (newest incident id, newest incident event id), remembered
in this process for a moment.

Reading it was the warm tile's one database round trip: in the throughput bench a warm tile
served 45 % of the `/healthz` floor with it and 68 % without it (issue 13). The version is kept for
`GRIDOPS_TILE_VERSION_SECONDS` (1 s by default; 0 reads it on every call), and dropped before that
as soon as this process hears of a committed incident event (`gridops.realtime.committed`): its
own writes at once, another process's when this process's hub delivers it (whenever a socket is
open here). So a tile's ETag moves with an incident change as soon as the process hears of it,
and at the latest after that time for what it cannot hear of (rows written without events, such
as history imports, and other processes' writes while no socket is open here). With a standby
for tile reads (`gridops.core.dbrouter`) add its lag: a version read there just after a change
was heard may still be the older one, and is kept for that time. The zone part of the counts
layer's version is reference data: a new reference generation drops it too.
"""
from __future__ import annotations

import time
from typing import NamedTuple

from django.conf import settings
from django.db import connections

from geodata.layers import ZONE_VERSION_SQL
from gridops.core import prepared, refcache
from gridops.core.dbrouter import read_alias
from gridops.realtime import committed

_INCIDENT_VERSION_SQL = ("SELECT (SELECT max(id) FROM incidents_incident), (SELECT id FROM realtime_event "
                         "WHERE kind LIKE 'incident.%%' ORDER BY id DESC LIMIT 1)")


def trust_seconds() -> float:
    return float(getattr(settings, "GRIDOPS_TILE_VERSION_SECONDS", 1.0))


class _Held(NamedTuple):
    value: str
    changes: int      # the incident family's counter before the read
    generation: int   # the reference generation before the read (zones)
    until: float      # monotonic time after which it is read again


# By database as well: a tile's version and its rows must come from the same one. A version read
# on the primary (a caller who just wrote) handed to a caller who reads the lagging standby would
# store the standby's older rows under the newer version, for everyone, until the next change.
_held: dict[tuple[str, bool], _Held] = {}


def data_version(*, zones: bool = False) -> str:
    """`read_data_version(zones=zones)` on the request's read database, or what this process read
    of it there while still trusted."""
    alias = read_alias()
    changes = committed.changes("incident")
    generation = refcache.generation() if zones else 0
    held = _held.get((alias, zones))
    now = time.monotonic()
    if held is not None and now < held.until and held.changes == changes and held.generation == generation:
        return held.value
    value = read_data_version(zones=zones, alias=alias)
    # Taken before the read: a change heard while it ran leaves this entry already outdated.
    _held[(alias, zones)] = _Held(value, changes, generation, now + trust_seconds())
    return value


def read_data_version(*, zones: bool = False, alias: str | None = None) -> str:
    """Newest incident id and newest incident event id (and the zone table's version): one round trip.

    Every change of an incident goes through the incident services, which publish an
    `incident.*` event (the admin only shows incidents), so that event id moves with updates;
    the incident id covers rows written in bulk without events (history imports). Other
    events (a grid worker's position ping every few seconds, hall queues) leave the tiles' ETags
    alone, or the tile cache would never hit under live load. The newest incident event is found
    by walking the event ids backwards past the few non-incident events at the tail.
    """
    zone_part = f", {ZONE_VERSION_SQL}" if zones else ""
    with connections[alias or read_alias()].cursor() as cursor:
        # Prepared: planning it (the partitioned event table) cost six times running it.
        prepared.execute(cursor, _INCIDENT_VERSION_SQL + zone_part)
        row = [value or 0 for value in cursor.fetchone()]
    version = f"{row[0]}.{row[1]}"
    return f"z{row[2]}.{row[3]}." + version if zones else version
