"""Load the service network: the district centre, town centres, village stations and terminals.

Centres come from `fixtures/approvals/halls.csv`; each point must lie inside the zone it serves,
and one outside is moved to the zone's point on surface (reported as a repair, MapIt style).
Village service stations are generated, one per village zone. Dry run unless `commit=True`.
"""
from __future__ import annotations

from pathlib import Path

from django.contrib.gis.geos import Point
from django.db import transaction

from geodata.models import Level, Zone
from gridops.core.loaders import Problem

from .catalogue import DEFAULT_DIR, Report, read_rows
from .models import Counter, Hall, HallKind, Terminal

COLUMNS = ["code", "name", "kind", "zone_code", "lon", "lat", "address", "phone", "counters", "terminals_24h", "hours"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
MORNING, AFTERNOON = ["09:00", "12:00"], ["13:30", "17:30"]
HOURS = {
    "centre": {**{day: [MORNING, AFTERNOON] for day in WEEKDAYS}, "sat": [], "sun": []},
    "centre_saturday": {**{day: [MORNING, AFTERNOON] for day in WEEKDAYS}, "sat": [MORNING], "sun": []},
    "station": {**{day: [["08:30", "12:00"], ["14:30", "17:30"]] for day in WEEKDAYS}, "sat": [], "sun": []},
}
STATION_COUNTERS = 2


def _centre_rows(path: Path, report: Report, zones: dict[str, Zone]) -> list[dict]:
    halls = []
    for line, row in read_rows(path, COLUMNS, report):
        def problem(name, reason, line=line):
            report.problems.append(Problem.at_row(path.name, line, name, reason))

        zone = zones.get(row["zone_code"])
        if zone is None:
            problem("zone_code", f"no zone {row['zone_code']} (load the zones first)")
            continue
        if row["kind"] not in HallKind.values:
            problem("kind", f"use one of {', '.join(HallKind.values)}")
            continue
        if row["hours"] not in HOURS:
            problem("hours", f"use one of {', '.join(HOURS)}")
            continue
        try:
            point = Point(float(row["lon"]), float(row["lat"]), srid=4326)
            counters, terminals = int(row["counters"]), int(row["terminals_24h"])
        except ValueError as exc:
            problem("lon/lat/counters", str(exc))
            continue
        if not 1 <= counters <= 200 or not 0 <= terminals <= 20:
            problem("counters", "counters must be 1..200 and terminals 0..20")
            continue
        if not zone.geom.contains(point):
            report.counts["moved into zone"] = report.counts.get("moved into zone", 0) + 1
            problem_text = f"{row['code']}: point outside {zone.name}, moved to the zone's point on surface"
            report.repairs.append(f"{path.name}:{line} {problem_text}")
            point = zone.geom.point_on_surface
        halls.append({"code": row["code"], "name": row["name"], "kind": row["kind"], "zone": zone, "location": point,
                      "address": row["address"], "phone": row["phone"], "opening_hours": HOURS[row["hours"]],
                      "counters": counters, "terminals": terminals})
    return halls


def _station_rows() -> list[dict]:
    """One station per village zone (社区/村居), at a point certainly inside it."""
    villages = Zone.objects.filter(level=Level.VILLAGE).order_by("code")
    return [
        {"code": f"S{zone.code}", "name": f"{zone.name}行政服务站", "kind": HallKind.VILLAGE_STATION, "zone": zone,
         "location": zone.geom.point_on_surface, "address": zone.name, "phone": "", "opening_hours": HOURS["station"],
         "counters": STATION_COUNTERS, "terminals": 0}
        for zone in villages
    ]


def load_service_network(path: Path | str = DEFAULT_DIR / "halls.csv", *, stations: bool = True,
                         commit: bool = False, log=print) -> Report:
    """Validate the centres (and generate the stations); with `commit`, upsert all of it by code."""
    report = Report()
    zones = {zone.code: zone for zone in Zone.objects.filter(level__lte=Level.TOWN)}
    halls = _centre_rows(Path(path), report, zones)
    if stations:
        halls += _station_rows()
    report.counts.update({"halls": len(halls), "counters": sum(h["counters"] for h in halls),
                          "terminals": sum(h["terminals"] for h in halls)})
    for line in report.repairs:
        log(line)
    for problem in report.problems:
        log(str(problem))
    if not report.ok or not commit:
        return report
    with transaction.atomic():
        for values in halls:
            counters, terminals = values.pop("counters"), values.pop("terminals")
            hall, _ = Hall.objects.update_or_create(code=values.pop("code"), defaults=values)
            existing = set(Counter.objects.filter(hall=hall).values_list("number", flat=True))
            Counter.objects.bulk_create(
                [Counter(hall=hall, number=n, label=f"{n}号窗口") for n in range(1, counters + 1) if n not in existing]
            )
            Counter.objects.filter(hall=hall, number__gt=counters).update(is_open=False)
            for n in range(1, terminals + 1):
                Terminal.objects.update_or_create(
                    code=f"{hall.code}-T{n}",
                    defaults={"name": f"{hall.name}24小时自助服务区{n}号机", "hall": hall, "location": hall.location,
                              "is_24h": True, "functions": ["ticket", "apply", "print", "pickup"]},
                )
    report.committed = True
    return report
