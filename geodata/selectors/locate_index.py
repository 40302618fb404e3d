"""The micro-grids of a boundary generation held in each process, for locate.

Locate is the hottest read in GridOps: every report, position ping, check-in and `GET
/api/v1/locate` asks it. As one PostGIS statement it cost a round trip per call, and under load
each round trip also meant a request thread handing the interpreter lock away and queueing to
get it back behind the event loop (issue 13: a single locate served 43 % of the `/healthz` floor
while its SQL ran in 0.1 ms). The boundaries change a few times a year, so each process holds a
generation's 921 micro-grid polygons in a shapely STRtree, with the zone rows of their chains and
the towns' command centres, and answers from memory.

The rule is the one `LOCATE_ONE_SQL` states (`tests/geodata/test_locate_index.py` holds the two
equal over the demo district, its shared boundaries and vertices): the micro-grids whose polygon
intersects the point, lowest code first, the first whose parent chain is complete; the town's
command centre (for an older generation, today's centre of the town of the same code).

An index is kept per generation under the reference generation (`core.refcache`): every zone or
command-centre save bumps it, and so do the loaders that write zones in bulk. A process sees its
own bumps at once and another's within `GRIDOPS_REFERENCE_CHECK_SECONDS`. Without Redis the
generation is unknown; the index is then rebuilt at most once per `check_seconds()`. An index
built inside a transaction that writes zones sees its uncommitted rows and is not retired if
that transaction rolls back: nothing locates inside a zone write, and the tests move the
generation on before each test (tests/conftest.py).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import shapely
from django.db import connection

from gridops.core import refcache

from ..models import Level
from .generations import generation_where

CHAIN_COLUMNS = ("id", "code", "name", "level", "parent_id", "residents", "households")
_PARENT = CHAIN_COLUMNS.index("parent_id")


@dataclass(frozen=True)
class LocateIndex:
    tree: shapely.STRtree
    grid_ids: tuple[int, ...]  # tree position -> zone id
    grid_codes: tuple[str, ...]
    zones: dict[int, tuple]  # zone id -> CHAIN_COLUMNS values
    centres: dict[str, tuple]  # town code -> (id, code, name, lon, lat)

    def row(self, lon: float, lat: float) -> tuple | None:
        """The locate row (district → micro-grid chain, then the centre), or None outside."""
        return self._first_row(self.tree.query(shapely.points(lon, lat), predicate="intersects").tolist())

    def rows(self, points: list[tuple[float, float]]) -> list[tuple | None]:
        """`row` of each point, in one vectorised tree query."""
        found: list[list[int]] = [[] for _ in points]
        if points:
            geometries = shapely.points([p[0] for p in points], [p[1] for p in points])
            for point, position in self.tree.query(geometries, predicate="intersects").T.tolist():
                found[point].append(position)
        return [self._first_row(positions) for positions in found]

    def _first_row(self, positions: list[int]) -> tuple | None:
        """Of the micro-grids a point intersects (tree positions), the lowest code whose chain is
        complete: the rule's tie-break on shared boundaries."""
        for position in sorted(positions, key=self.grid_codes.__getitem__):
            row = self._row_of(self.grid_ids[position])
            if row is not None:
                return row
        return None

    def _row_of(self, grid_id: int) -> tuple | None:
        chain = [self.zones[grid_id]]
        for _ in range(Level.GRID):
            parent = self.zones.get(chain[-1][_PARENT])
            if parent is None:
                return None  # an incomplete chain is skipped, as the SQL's inner joins skip it
            chain.append(parent)
        chain.reverse()  # district → micro-grid
        centre = self.centres.get(chain[Level.TOWN][1], (None,) * 5)
        return tuple(value for zone in chain for value in zone) + centre


def _build(generation) -> LocateIndex:
    where, params = generation_where("z", generation)
    columns = ", ".join(f"z.{c}" for c in CHAIN_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}, CASE WHEN z.level = {int(Level.GRID)} THEN ST_AsBinary(z.geom) END "
                       f"FROM geodata_zone z WHERE {where} ORDER BY z.code", params)
        rows = cursor.fetchall()
        # Centres are current facts: the centre of today's town of that code.
        cursor.execute("SELECT t.code, c.id, c.code, c.name, ST_X(c.location), ST_Y(c.location) "
                       "FROM geodata_commandcentre c JOIN geodata_zone t ON t.id = c.zone_id "
                       "WHERE t.generation_high_id IS NULL ORDER BY c.id DESC")
        centres = {code: tuple(rest) for code, *rest in cursor.fetchall()}
    grids = [row for row in rows if row[3] == Level.GRID and row[-1] is not None]
    tree = shapely.STRtree(shapely.from_wkb([bytes(row[-1]) for row in grids]))
    # Queries from many request threads are safe once the tree is built; GEOS builds it on the
    # first query, so that query happens here, before any other thread can see the tree.
    tree.query(shapely.points(0.0, 0.0))
    return LocateIndex(
        tree=tree,
        grid_ids=tuple(row[0] for row in grids), grid_codes=tuple(row[1] for row in grids),
        zones={row[0]: tuple(row[:-1]) for row in rows}, centres=centres)


_lock = threading.Lock()
_held: dict[int | None, tuple[int, float, LocateIndex]] = {}  # generation -> (reference gen, built at, index)
_KEPT_GENERATIONS = 4


def _usable(held, current: int) -> bool:
    """Built under the reference generation in force; without Redis (`current` < 0), built
    within the last `check_seconds()`."""
    if held is None:
        return False
    if current >= 0:
        return held[0] == current
    return time.monotonic() - held[1] < refcache.check_seconds()


def index_for(generation=None) -> LocateIndex:
    """The index of `generation` (a `Generation`, its id, or None for the current one)."""
    key = None if generation is None else int(getattr(generation, "pk", generation))
    current = refcache.generation()
    held = _held.get(key)
    if _usable(held, current):
        return held[2]
    with _lock:  # one build per process at a time; a thread that waited finds it built
        held = _held.get(key)
        if _usable(held, current):
            return held[2]
        index = _build(key)
        if key not in _held and len(_held) >= _KEPT_GENERATIONS:
            _held.pop(next(k for k in _held if k is not None), None)
        _held[key] = (current, time.monotonic(), index)
        return index
