"""Import a road network (OSM extract as GeoPackage, Shapefile or GeoJSON) into the road graph.

The same shape as the zone importer: `run(path, *, commit, node_intersections, layer)` is called
by `manage.py import_roads`, the demo and the tests; a dry run unless `commit=True`; every problem
is reported with its feature; the graph is replaced in one transaction.

Topology is built here, not by pgRouting's `pgr_createTopology` (deprecated in 3.x): the graph's
vertices are the points where lines meet — OSM's way, where a junction is a node the ways share,
so a bridge over a street stays unconnected — found by counting each coordinate (rounded to about
1 cm) across lines, the way `pgr_extractVertices` lists them. Data drawn without shared vertices
can be noded at every crossing first (`node_intersections`, shapely's noding), which keeps each
piece's name and direction by matching it back to the line it came from. A closed ring is cut in
two so no edge starts and ends at one vertex. Lengths are measured by PostGIS on the geography.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyogrio
import shapely
from django.db import connection, transaction
from shapely.geometry import LineString

from geodata.roads_models import RoadEdge, RoadVertex
from gridops.core.loaders import LoaderReport, Problem

DIGITS = 7  # 1e-7 degree ≈ 1 cm: coordinates equal to this are one vertex
ONEWAY_FORWARD = {"yes", "true", "1", "t"}
ONEWAY_BACKWARD = {"-1", "reverse"}
_BATCH = 5000


@dataclass(frozen=True)
class Road:
    """One input line with what routing needs of its attributes."""

    line: LineString
    name: str = ""
    oneway: int = 0  # 0 both ways, 1 along the line only, -1 against it only


def run(path, *, commit: bool = False, node_intersections: bool = False, layer: str | None = None) -> LoaderReport:
    """counts: read (lines), edges, vertices (what was, or would be, loaded)."""
    report = LoaderReport()
    roads = read_roads(Path(path), layer, report)
    report.counts["read"] = len(roads)
    if not roads and not report.problems:
        report.problems.append(Problem.at_feature(str(path), "no line features found"))
    if report.problems:
        return report
    vertices, edges = build_topology(roads, node_intersections=node_intersections)
    report.counts.update(vertices=len(vertices), edges=len(edges))
    if commit:
        graph_replace(vertices, edges)
        report.committed = True
    return report


def read_roads(path: Path, layer: str | None, report: LoaderReport) -> list[Road]:
    """Lines in EPSG:4326 with name and one-way flag; rows that are not roads (an OSM `lines`
    layer also holds rivers and power lines: no `highway` tag) are left out."""
    try:
        frame = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ... with the reason
        report.problems.append(Problem.at_feature(str(path), f"cannot read: {exc}"))
        return []
    if frame.crs is None:
        report.problems.append(Problem.at_feature(str(path), "the file has no coordinate reference system"))
        return []
    frame = frame if frame.crs.to_epsg() == 4326 else frame.to_crs(4326)
    if "highway" in frame.columns:
        frame = frame[frame["highway"].notna()]
    roads = []
    for index, row in enumerate(frame.itertuples(index=False)):
        geom = row.geometry
        if geom is None or geom.is_empty or geom.geom_type not in ("LineString", "MultiLineString"):
            report.problems.append(Problem.at_feature(f"#{index}", f"not a line ({None if geom is None else geom.geom_type})"))
            continue
        name = str(getattr(row, "name", "") or "")[:128]
        oneway = _oneway(getattr(row, "oneway", None))
        roads += [Road(part, name, oneway) for part in getattr(geom, "geoms", [geom])]
    return roads


def _oneway(value) -> int:
    text = str(value).strip().lower() if value is not None else ""
    return 1 if text in ONEWAY_FORWARD else -1 if text in ONEWAY_BACKWARD else 0


def _key(xy) -> tuple[float, float]:
    return round(float(xy[0]), DIGITS), round(float(xy[1]), DIGITS)


def _noded(roads: list[Road]) -> list[Road]:
    """Cut every line where it crosses another (shapely noding), keeping each piece's attributes
    by the input line it lies on."""
    tree = shapely.STRtree([road.line for road in roads])
    pieces = shapely.get_parts(shapely.node(shapely.MultiLineString([road.line for road in roads])))
    out = []
    for piece in pieces:
        middle = piece.interpolate(0.5, normalized=True)
        hit = tree.query_nearest(middle)[0]
        out.append(Road(piece, roads[hit].name, roads[hit].oneway))
    return out


def build_topology(roads: list[Road], *, node_intersections: bool = False):
    """(vertices {id: (x, y)}, edges [(name, source, target, coords, oneway)])."""
    if node_intersections:
        roads = _noded(roads)
    coords = [[_key(xy) for xy in road.line.coords] for road in roads]
    coords = [[c for i, c in enumerate(line) if i == 0 or c != line[i - 1]] for line in coords]
    uses = Counter(key for line in coords for key in set(line))
    ids: dict[tuple[float, float], int] = {}
    edges = []
    for road, line in zip(roads, coords):
        if len(line) < 2:
            continue
        cuts = [i for i, key in enumerate(line) if i in (0, len(line) - 1) or uses[key] > 1]
        for start, end in zip(cuts, cuts[1:]):
            for piece in _no_loop(line[start:end + 1]):
                source = ids.setdefault(piece[0], len(ids) + 1)
                target = ids.setdefault(piece[-1], len(ids) + 1)
                edges.append((road.name, source, target, piece, road.oneway))
    return {vid: key for key, vid in ids.items()}, edges


def _no_loop(piece: list) -> list[list]:
    """A piece that comes back to where it started is cut at its middle vertex."""
    if piece[0] != piece[-1]:
        return [piece]
    if len(piece) < 4:
        return []  # a degenerate loop (there and straight back) carries no route
    middle = len(piece) // 2
    return [piece[:middle + 1], piece[middle:]]


def graph_replace(vertices: dict[int, tuple[float, float]], edges: list) -> None:
    """Replace the whole road graph in one transaction and measure each edge in metres."""
    from django.contrib.gis.geos import LineString as GeosLine
    from django.contrib.gis.geos import Point

    with transaction.atomic():
        RoadEdge.objects.all().delete()
        RoadVertex.objects.all().delete()
        RoadVertex.objects.bulk_create(
            (RoadVertex(id=vid, geom=Point(*xy, srid=4326)) for vid, xy in vertices.items()), batch_size=_BATCH)
        # The signs say which ways are open; the magnitudes are set by PostGIS just below.
        RoadEdge.objects.bulk_create(
            (RoadEdge(name=name, source=source, target=target, geom=GeosLine(coords, srid=4326),
                      cost=-1.0 if oneway < 0 else 1.0, reverse_cost=-1.0 if oneway > 0 else 1.0)
             for name, source, target, coords, oneway in edges), batch_size=_BATCH)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE geodata_roadedge SET cost = sign(cost) * ST_Length(geom::geography), "
                           "reverse_cost = sign(reverse_cost) * ST_Length(geom::geography)")
            cursor.execute("ANALYZE geodata_roadedge")
            cursor.execute("ANALYZE geodata_roadvertex")


def roads_from_lines(lines, *, node_intersections: bool = True) -> None:
    """Load a graph from shapely lines (tests and the demo street graph), replacing the old one."""
    vertices, edges = build_topology([Road(line) for line in lines], node_intersections=node_intersections)
    graph_replace(vertices, edges)


def load_demo_roads(log) -> None:
    """Demo step: the street graph drawn from the micro-grid boundaries (real grid boundaries
    follow streets), dissolved so a boundary two grids share is one street, noded at every
    junction. Skipped when a graph is loaded (a real one imported with `import_roads` stays)."""
    from geodata.models import Level, Zone

    if RoadEdge.objects.exists():
        log(f"roads: {RoadEdge.objects.count()} edges already loaded, skipped")
        return
    boundaries = [shapely.from_wkb(bytes(zone.geom.boundary.wkb))
                  for zone in Zone.objects.filter(level=Level.GRID).only("geom")]
    if not boundaries:
        log("roads: no micro-grids, no street graph")
        return
    streets = shapely.get_parts(shapely.line_merge(shapely.union_all(shapely.set_precision(boundaries, 10 ** -DIGITS))))
    vertices, edges = build_topology([Road(line) for line in streets])
    graph_replace(vertices, edges)
    log(f"roads: {len(edges)} street edges between {len(vertices)} vertices from the micro-grid boundaries")
