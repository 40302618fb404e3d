"""Deterministic synthetic Chancheng grid: 1 district → 4 towns → 12 areas → 139 villages → 921 grids.

Why synthetic: the real micro-grid boundaries of 禅城区 are not published. We partition the *real*
district outline (GCJ-02 from AMap, converted to WGS84 with `geodata.coords`/prcoords) into a
nested hierarchy that behaves like the real thing for dispatch, locate and statistics. A city with
its own survey replaces it through `import_zones`.

Method (all metric work in EPSG:4547, CGCS2000 / 3-degree GK CM 114E):

1. **Density surface** ρ(x): a rural base plus Gaussians on the urban cores (祖庙 old town the
   strongest, then 石湾, 张槎, and a weak one on 南庄's town centre). It is evaluated on a jittered
   sample lattice (~25 m spacing, fixed seed), so every later mass is a sum over sample points.
2. **Towns** are a power diagram (weighted Voronoi) of four fixed generators in the real
   directions (祖庙 northeast, 石湾 southeast, 张槎 northwest, 南庄 west/southwest) whose weights are
   tuned until each town's area matches a roughly real share (南庄 about half the district).
3. **Child counts** are allocated to parents by largest remainder on a blend of population and
   area (pure population would give 南庄's farmland a handful of huge villages).
4. **Each parent is split** by a capacity-constrained power diagram of density-weighted sample
   points: Lloyd steps move the sites to the mass centroid of their cells (compact cells) and the
   power weights are nudged until the cells carry about equal mass. The mass blends population and
   area, so micro-grids come out small and dense in the core and large in 南庄. Every cell is
   intersected with its parent, so nesting and coverage are exact by construction; a cell that the
   parent's concave outline cuts into several pieces keeps its largest piece and hands the others
   to the neighbour sharing the longest border.
5. **Population**: residents per micro-grid are ρ summed over the grid's sample points, scaled to
   `TOTAL_RESIDENTS` (≈1.2 million) by largest remainder; households = residents / household size
   (≈2.6, a little smaller in the old town and larger in villages); both roll up the tree.

Code scheme (the national statistical division code plus sequence numbers; ancestors are prefixes):

    440604      district   禅城区
    440604TTT   town       001–099 街道, 100–199 镇 (祖庙 001, 石湾镇 002, 张槎 003, 南庄镇 101)
    ...TTTAA    area       01–99, in reading order (north to south, west to east) within the town
    ...AAVVV    village    001–999, reading order within the area
    ...VVVGGG   grid       001–999, reading order within the village (17 digits in all)

Command centres: `CC440604` (区社会综合治理指挥中心) and `CC<town code>` (one 分中心 per town at its
seat). Output: a GeoPackage (EPSG:4326) with one layer per level (district, town, area, village,
grid: code, name, level, parent_code, residents, households, area_m2) and `command_centres`
(code, name, zone_code).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from geodata.coords import METRIC_SRID, STORAGE_SRID, to_wgs84

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
BOUNDARY_PATH = ROOT / "fixtures" / "source" / "chancheng-440604-gcj02.geojson"
DEFAULT_OUTPUT = ROOT / "fixtures" / "chancheng_zones.gpkg"
DEFAULT_SEED = 440604

LEVEL_LAYERS = ["district", "town", "area", "village", "grid"]
COUNTS = {"town": 4, "area": 12, "village": 139, "grid": 921}
TOTAL_RESIDENTS = 1_200_000
SAMPLE_SPACING_M = 25.0


@dataclass(frozen=True)
class TownSpec:
    code: str
    name: str
    short: str
    seat: tuple[float, float]  # WGS84 lon, lat of the town government
    generator: tuple[float, float]  # WGS84 lon, lat of the power-diagram site (sets direction)
    area_share: float  # target share of the district's area
    village_suffix: str
    village_stems: tuple[str, ...]


TOWNS = [
    TownSpec(
        "440604001", "祖庙街道", "祖庙", (113.114, 23.031), (113.118, 23.035), 0.16, "社区",
        ("莲花", "升平", "福贤", "兴华", "卫国", "朝安", "同济", "新风", "塔坡", "福宁", "红星", "铁军",
         "东升", "普君", "建设", "亲仁", "锦华", "敦厚", "岭南", "人民", "朝东", "汾江", "文华", "绿景",
         "普澜", "季华", "江湾", "城门头", "大塘", "影荫", "兆祥", "嘉福", "金鱼", "永安", "祖庙",
         "丰宁", "朝阳", "百花", "福禄", "秀丽", "祥安", "仁寿", "观音堂", "松风", "擎天", "兴贤",
         "平政", "舍人", "高基", "通济", "豸岗", "燎原"),
    ),
    TownSpec(
        "440604002", "石湾镇街道", "石湾", (113.112, 22.998), (113.125, 22.990), 0.20, "社区",
        ("石湾", "东风", "跃进", "公仔", "和平", "沙岗", "山紫", "大雾岗", "湾华", "南风", "澜石",
         "深村", "石头", "东平", "鄱阳", "黎涌", "夏北", "海口", "小布", "河宕", "凤凰", "东鄱",
         "湾梁", "陶城", "高庙", "忠信", "中山", "明心", "新庄", "东滘", "西头", "太平", "中区",
         "湾头", "镇安", "同和", "东村", "南边", "上沙", "江枝", "岗头", "奇石", "凤鸣", "莲峰"),
    ),
    TownSpec(
        "440604003", "张槎街道", "张槎", (113.078, 23.045), (113.070, 23.045), 0.16, "社区",
        ("张槎", "大富", "大江", "上朗", "下朗", "村头", "莲塘", "白坭坑", "古灶", "大沙", "沙口",
         "弼塘", "奇槎", "朗沙", "泉塘", "西岸", "汾西", "江滘", "中心", "东鄱", "塘头", "湖滨",
         "河滘", "横窖", "聚龙", "大基头", "三友", "四村", "海口", "鸡岗"),
    ),
    TownSpec(
        "440604101", "南庄镇", "南庄", (113.020, 22.985), (113.015, 22.975), 0.48, "村",
        ("罗南", "紫南", "吉利", "杏头", "贺丰", "溶洲", "堤田", "大寮", "龙津", "梧村", "上元",
         "醒群", "罗格", "程边", "隆庆", "绿岛", "湖涌", "大门", "高石", "新安", "横江", "沙边",
         "帝田", "南庄", "东村", "沙涌", "良溪", "山根", "坑口", "黄岐", "南头", "秀水", "龙湾",
         "石龙", "孔家", "彭家", "陈村", "北便"),
    ),
]

DISTRICT_CODE = "440604"
DISTRICT_NAME = "禅城区"
DISTRICT_CENTRE = (113.122, 23.009)

# Urban cores of the density surface: WGS84 lon, lat, peak residents/km², sigma in metres.
CORES = [
    (113.114, 23.034, 22000.0, 1800.0),  # 祖庙 old town
    (113.102, 23.020, 14000.0, 2500.0),  # 季华路 / city centre
    (113.112, 22.998, 16000.0, 2000.0),  # 石湾
    (113.078, 23.045, 12000.0, 1800.0),  # 张槎
    (113.020, 22.985, 5000.0, 1800.0),  # 南庄 town centre
]
BASE_DENSITY = 1500.0  # residents/km² over fields, factories and villages

# How many children a parent gets: share of population vs share of area (largest remainder).
ALLOCATION_POP_WEIGHT = 0.65
# What a child cell should carry equally: population vs area (the rest).
SPLIT_POP_WEIGHT = {"area": 0.5, "village": 0.6, "grid": 0.7}


@dataclass
class Node:
    code: str
    name: str
    level: int
    parent_code: str | None
    geom: shapely.Geometry  # EPSG:4547
    residents: int = 0
    households: int = 0
    children: list["Node"] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- io

def boundary_metric(path: Path = BOUNDARY_PATH) -> shapely.Geometry:
    """The real outline: GCJ-02 → WGS84 (prcoords via geodata.coords) → EPSG:4547."""
    frame = gpd.read_file(path)
    geom = shapely.union_all(frame.geometry.values)

    def gcj_to_wgs(coords: np.ndarray) -> np.ndarray:
        return np.array([to_wgs84(lon, lat, "gcj02") for lon, lat in coords])

    wgs = shapely.make_valid(shapely.transform(geom, gcj_to_wgs))
    return _to_metric(wgs)


def _to_metric(geom):
    return gpd.GeoSeries([geom], crs=STORAGE_SRID).to_crs(METRIC_SRID).iloc[0]


def _metric_xy(lon: float, lat: float) -> tuple[float, float]:
    p = gpd.GeoSeries([Point(lon, lat)], crs=STORAGE_SRID).to_crs(METRIC_SRID).iloc[0]
    return p.x, p.y


# ---------------------------------------------------------------------------------------- samples

@dataclass
class Samples:
    xy: np.ndarray  # (n, 2) metric
    pop: np.ndarray  # residents weight per sample (density × cell area)
    cell_area: float


def density_samples(boundary, rng: np.random.Generator, spacing: float = SAMPLE_SPACING_M) -> Samples:
    minx, miny, maxx, maxy = boundary.bounds
    xs = np.arange(minx + spacing / 2, maxx, spacing)
    ys = np.arange(miny + spacing / 2, maxy, spacing)
    gx, gy = np.meshgrid(xs, ys)
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    xy += rng.uniform(-spacing / 2, spacing / 2, size=xy.shape)
    shapely.prepare(boundary)
    xy = xy[shapely.contains_xy(boundary, xy[:, 0], xy[:, 1])]
    density = np.full(len(xy), BASE_DENSITY)
    for lon, lat, peak, sigma in CORES:
        cx, cy = _metric_xy(lon, lat)
        d2 = (xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2
        density += peak * np.exp(-d2 / (2 * sigma**2))
    # Field-scale texture so neighbouring cells differ a little (deterministic from the seed).
    density *= rng.lognormal(0.0, 0.15, size=len(xy))
    cell_area = spacing * spacing
    return Samples(xy=xy, pop=density * cell_area / 1e6, cell_area=cell_area)


# ---------------------------------------------------------------------------------- power diagram

def _power_assign(xy: np.ndarray, sites: np.ndarray, weights: np.ndarray) -> np.ndarray:
    d = ((xy[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2) - weights[None, :]
    return d.argmin(axis=1)


def _power_cell(i: int, sites: np.ndarray, weights: np.ndarray, bbox: tuple) -> Polygon:
    """The power cell of site i as a convex polygon, clipped from a box by the k-1 half-planes."""
    minx, miny, maxx, maxy = bbox
    pad = max(maxx - minx, maxy - miny)
    poly = np.array([[minx - pad, miny - pad], [maxx + pad, miny - pad], [maxx + pad, maxy + pad], [minx - pad, maxy + pad]])
    si, wi = sites[i], weights[i]
    for j in range(len(sites)):
        if j == i or len(poly) == 0:
            continue
        sj, wj = sites[j], weights[j]
        normal = 2 * (sj - si)
        offset = (sj @ sj) - (si @ si) - wj + wi
        poly = _clip_halfplane(poly, normal, offset)
    return Polygon(poly) if len(poly) >= 3 else Polygon()


def _clip_halfplane(poly: np.ndarray, normal: np.ndarray, offset: float) -> np.ndarray:
    """Sutherland–Hodgman step: keep {x : normal·x <= offset} of a convex polygon."""
    values = poly @ normal - offset
    out = []
    n = len(poly)
    for k in range(n):
        p, q = poly[k], poly[(k + 1) % n]
        vp, vq = values[k], values[(k + 1) % n]
        if vp <= 0:
            out.append(p)
        if (vp <= 0) != (vq <= 0):
            t = vp / (vp - vq)
            out.append(p + t * (q - p))
    return np.array(out)


def _split(parent, xy: np.ndarray, mass: np.ndarray, k: int, rng: np.random.Generator,
           fixed_sites: np.ndarray | None = None, iterations: int = 80) -> list[shapely.Geometry]:
    """Cut `parent` into k compact cells of about equal `mass` (capacity-constrained power diagram)."""
    if k == 1:
        return [parent]
    total = mass.sum()
    target = total / k
    if fixed_sites is not None:
        sites = fixed_sites.astype(float).copy()
    else:
        # Seeds drawn in proportion to mass, then Lloyd-relaxed.
        idx = rng.choice(len(xy), size=k, replace=False, p=mass / total)
        sites = xy[idx].astype(float)
    weights = np.zeros(k)
    scale = parent.area / k  # m²: the typical squared size of a cell
    for step in range(iterations):
        owner = _power_assign(xy, sites, weights)
        cell_mass = np.bincount(owner, weights=mass, minlength=k)
        for i in np.flatnonzero(cell_mass == 0):  # an empty cell restarts in the heaviest one
            heavy = int(cell_mass.argmax())
            members = np.flatnonzero(owner == heavy)
            sites[i] = xy[rng.choice(members)]
            weights[i] = weights[heavy]
        if fixed_sites is None:
            mx = np.bincount(owner, weights=mass * xy[:, 0], minlength=k)
            my = np.bincount(owner, weights=mass * xy[:, 1], minlength=k)
            ok = cell_mass > 0
            sites[ok] = np.column_stack([mx[ok] / cell_mass[ok], my[ok] / cell_mass[ok]])
        gain = 0.2 if step < iterations - 10 else 0.1  # larger gains oscillate
        weights += gain * scale * (target - cell_mass) / target
        weights -= weights.mean()
    cells = [shapely.intersection(parent, _power_cell(i, sites, weights, parent.bounds)) for i in range(k)]
    return _tidy_fragments([_polygonal(c) for c in cells])


def _polygonal(geom) -> shapely.Geometry:
    """Keep only the areal part of a geometry (intersections may add stray lines or points)."""
    geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and p.area > 0]
    flat = []
    for p in parts:
        flat.extend(shapely.get_parts(p))
    return MultiPolygon(flat) if flat else MultiPolygon()


def _tidy_fragments(cells: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """Give every piece but a cell's largest to the neighbour sharing the longest border."""
    cells = list(cells)
    for i in range(len(cells)):
        parts = sorted(shapely.get_parts(cells[i]), key=lambda p: -p.area)
        if len(parts) <= 1:
            continue
        keep = [parts[0]]
        for part in parts[1:]:
            halo = part.buffer(1.0)
            shared = [(shapely.intersection(halo, cells[j]).area, j) for j in range(len(cells)) if j != i]
            best = max(shared, default=(0.0, None))
            if best[1] is None or best[0] <= 0:
                keep.append(part)  # an island of the parent: nothing to merge with
                continue
            cells[best[1]] = _polygonal(shapely.union(cells[best[1]], part))
        cells[i] = MultiPolygon(keep)
    return cells


# ------------------------------------------------------------------------------------- allocation

def largest_remainder(weights: np.ndarray, total: int, minimum: int = 1) -> np.ndarray:
    """Integers proportional to `weights` that sum to `total`, each at least `minimum`."""
    weights = np.asarray(weights, dtype=float)
    n = len(weights)
    spare = total - minimum * n
    if spare < 0:
        raise ValueError(f"cannot give {n} parents at least {minimum} of {total}")
    quota = weights / weights.sum() * spare
    counts = np.floor(quota).astype(int)
    remainder = quota - counts
    for i in np.argsort(-remainder, kind="stable")[: spare - counts.sum()]:
        counts[i] += 1
    return counts + minimum


def _reading_order(geoms: list[shapely.Geometry], band: float) -> list[int]:
    """North to south in bands, west to east within a band: how people number things on a map."""
    pts = [g.representative_point() for g in geoms]
    return sorted(range(len(geoms)), key=lambda i: (-math.floor(pts[i].y / band), pts[i].x))


DIRECTIONS = ["东", "东北", "北", "西北", "西", "西南", "南", "东南"]


def _area_names(short: str, geoms: list[shapely.Geometry], town_geom) -> list[str]:
    """祖庙东片区, 祖庙西片区 …: the direction from the town's centre; 中 when close to it."""
    c = town_geom.centroid
    radius = math.sqrt(town_geom.area / math.pi)
    names = []
    for g in geoms:
        p = g.centroid
        dx, dy = p.x - c.x, p.y - c.y
        if math.hypot(dx, dy) < 0.25 * radius:
            label = "中"
        else:
            label = DIRECTIONS[int(((math.degrees(math.atan2(dy, dx)) + 22.5) % 360) // 45)]
        names.append(f"{short}{label}片区")
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    if any(v > 1 for v in seen.values()):
        return [f"{short}第{i + 1}片区" for i in range(len(geoms))]
    return names


# ------------------------------------------------------------------------------------- generator

def generate(seed: int = DEFAULT_SEED, boundary_path: Path = BOUNDARY_PATH) -> tuple[Node, list[dict]]:
    """Build the whole tree in EPSG:4547; returns the district node and the command centres."""
    rng = np.random.default_rng(seed)
    district_geom = boundary_metric(boundary_path)
    samples = density_samples(district_geom, rng)
    xy, pop = samples.xy, samples.pop
    district = Node(DISTRICT_CODE, DISTRICT_NAME, 0, None, _polygonal(district_geom))

    # Towns: fixed generators, area-share capacities (mass = area share per town's target).
    gen = np.array([_metric_xy(*t.generator) for t in TOWNS])
    owner = _town_partition_owner(xy, gen, np.array([t.area_share for t in TOWNS]))
    sites, weights = owner
    town_geoms = _tidy_fragments([
        _polygonal(shapely.intersection(district.geom, _power_cell(i, sites, weights, district.geom.bounds)))
        for i in range(len(TOWNS))
    ])
    for spec, geom in zip(TOWNS, town_geoms):
        seat = Point(_metric_xy(*spec.seat))
        if not geom.contains(seat):
            raise RuntimeError(f"{spec.name}: its seat {spec.seat} falls outside the generated town")
        district.children.append(Node(spec.code, spec.name, 1, DISTRICT_CODE, geom))

    masks = {}

    def inside(node: Node) -> np.ndarray:
        shapely.prepare(node.geom)
        mask = shapely.contains_xy(node.geom, xy[:, 0], xy[:, 1])
        masks[node.code] = mask
        return mask

    def allocate(parents: list[Node], total: int) -> np.ndarray:
        pops = np.array([pop[inside(p)].sum() for p in parents])
        areas = np.array([p.geom.area for p in parents])
        w = ALLOCATION_POP_WEIGHT * pops / pops.sum() + (1 - ALLOCATION_POP_WEIGHT) * areas / areas.sum()
        return largest_remainder(w, total)

    def split_level(parents: list[Node], level_name: str, level: int, total: int, name_children) -> list[Node]:
        counts = allocate(parents, total)
        children: list[Node] = []
        alpha = SPLIT_POP_WEIGHT[level_name]
        for parent, k in zip(parents, counts):
            m = masks[parent.code]
            pxy, ppop = xy[m], pop[m]
            mass = alpha * ppop / ppop.sum() + (1 - alpha) / len(ppop)
            geoms = _split(parent.geom, pxy, mass, int(k), rng)
            band = math.sqrt(parent.geom.area / k)
            order = _reading_order(geoms, band)
            geoms = [geoms[i] for i in order]
            width = 2 if level == 2 else 3
            names = name_children(parent, geoms)
            for n, (g, name) in enumerate(zip(geoms, names), start=1):
                child = Node(f"{parent.code}{n:0{width}d}", name, level, parent.code, g)
                parent.children.append(child)
                children.append(child)
        return children

    spec_by_code = {t.code: t for t in TOWNS}

    def area_names(parent, geoms):
        return _area_names(spec_by_code[parent.code].short, geoms, parent.geom)

    stems_used: dict[str, int] = {t.code: 0 for t in TOWNS}
    village_names_taken: set[str] = set()

    def village_names(parent, geoms):
        spec = spec_by_code[parent.code[:9]]
        names = []
        for _ in geoms:
            name = ""
            while not name or name in village_names_taken:  # unique across the district
                i = stems_used[spec.code]
                stems_used[spec.code] += 1
                stem = spec.village_stems[i % len(spec.village_stems)]
                extra = i // len(spec.village_stems)
                prefix = ("", "新", "东", "西", "南", "北")[extra] if extra < 6 else f"{extra}"
                name = f"{prefix}{stem}{spec.village_suffix}"
            village_names_taken.add(name)
            names.append(name)
        return names

    def grid_names(parent, geoms):
        return [f"{parent.name}第{n}网格" for n in range(1, len(geoms) + 1)]

    for t in district.children:
        inside(t)
    areas = split_level(district.children, "area", 2, COUNTS["area"], area_names)
    villages = split_level(areas, "village", 3, COUNTS["village"], village_names)
    grids = split_level(villages, "grid", 4, COUNTS["grid"], grid_names)

    _assign_population(district, grids, xy, pop, rng)
    centres = [{"code": f"CC{DISTRICT_CODE}", "name": "区社会综合治理指挥中心", "zone_code": DISTRICT_CODE,
                "lonlat": DISTRICT_CENTRE}]
    for spec in TOWNS:
        centres.append({"code": f"CC{spec.code}", "name": f"{spec.short}{'镇' if spec.code[6] == '1' else '街道'}社会综合治理分中心",
                        "zone_code": spec.code, "lonlat": spec.seat})
    return district, centres


def _town_partition_owner(xy: np.ndarray, sites: np.ndarray, shares: np.ndarray, iterations: int = 300):
    """Power weights for fixed town generators so each town gets its share of the district area."""
    k = len(sites)
    weights = np.zeros(k)
    target = shares / shares.sum() * len(xy)
    scale = (np.ptp(xy[:, 0]) * np.ptp(xy[:, 1])) / k
    for _ in range(iterations):
        owner = _power_assign(xy, sites, weights)
        have = np.bincount(owner, minlength=k)
        weights += 0.3 * scale * (target - have) / target
        weights -= weights.mean()
    return sites, weights


def _assign_population(district: Node, grids: list[Node], xy, pop, rng) -> None:
    raw = []
    for g in grids:
        shapely.prepare(g.geom)
        minx, miny, maxx, maxy = g.geom.bounds
        near = (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy)
        inside = near.copy()
        inside[near] = shapely.contains_xy(g.geom, xy[near, 0], xy[near, 1])
        total = pop[inside].sum()
        if total == 0:  # a sliver between sample points: density at its centre × area
            total = BASE_DENSITY * g.geom.area / 1e6
        raw.append(total)
    residents = largest_remainder(np.array(raw), TOTAL_RESIDENTS, minimum=0)
    for g, r in zip(grids, residents):
        # Old-town flats hold fewer people per household than village houses.
        size = 2.35 if g.code.startswith("440604001") else 2.85 if g.code.startswith("440604101") else 2.6
        size *= float(rng.uniform(0.93, 1.07))
        g.residents = int(r)
        g.households = max(1, round(r / size)) if r else 0

    def roll(node: Node) -> None:
        if node.children:
            for c in node.children:
                roll(c)
            node.residents = sum(c.residents for c in node.children)
            node.households = sum(c.households for c in node.children)

    roll(district)


# ------------------------------------------------------------------------------------------ write

def _walk(node: Node):
    yield node
    for c in node.children:
        yield from _walk(c)


def write_geopackage(district: Node, centres: list[dict], output: Path) -> None:
    """One layer per level plus command_centres, all in EPSG:4326; replaces the file."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists():
        output.unlink()
    nodes = list(_walk(district))
    for level, layer in enumerate(LEVEL_LAYERS):
        rows = [n for n in nodes if n.level == level]
        frame = gpd.GeoDataFrame(
            {
                "code": [n.code for n in rows],
                "name": [n.name for n in rows],
                "level": [n.level for n in rows],
                "parent_code": [n.parent_code for n in rows],
                "residents": [n.residents for n in rows],
                "households": [n.households for n in rows],
                "area_m2": [round(float(n.geom.area), 1) for n in rows],
            },
            geometry=[MultiPolygon(shapely.get_parts(n.geom)) for n in rows],
            crs=METRIC_SRID,
        ).to_crs(STORAGE_SRID)
        # Reprojection can pinch a near-degenerate ring; keep only the areal part of any repair.
        frame["geometry"] = [_polygonal(g) for g in frame.geometry.values]
        frame.to_file(output, layer=layer, driver="GPKG", engine="pyogrio")
    cc = gpd.GeoDataFrame(
        {"code": [c["code"] for c in centres], "name": [c["name"] for c in centres],
         "zone_code": [c["zone_code"] for c in centres]},
        geometry=[Point(*c["lonlat"]) for c in centres], crs=STORAGE_SRID,
    )
    cc.to_file(output, layer="command_centres", driver="GPKG", engine="pyogrio")


def run(output: Path = DEFAULT_OUTPUT, *, seed: int = DEFAULT_SEED, log=logger.info) -> Node:
    district, centres = generate(seed)
    write_geopackage(district, centres, output)
    nodes = list(_walk(district))
    for level, layer in enumerate(LEVEL_LAYERS):
        log(f"{layer}: {sum(1 for n in nodes if n.level == level)}")
    for town in district.children:
        log(f"{town.code} {town.name}: {town.geom.area / 1e6:.1f} km², {len(town.children)} areas, "
            f"{sum(len(a.children) for a in town.children)} villages, "
            f"{sum(len(v.children) for a in town.children for v in a.children)} grids, {town.residents} residents")
    log(f"wrote {output}")
    return district
