"""Demo step: shelters and resource points, one of each kind in every tenth village, placed on the
village (its point on surface), sized by its residents. Deterministic and idempotent."""
from geodata.models import Level, Zone
from geodata.selectors import locate_point

from .models import Shelter, ShelterKind

# The demo names are the Chinese ones a district would use (the kind label follows the reader's language).
KINDS = [(ShelterKind.SHELTER, "应急避难场所"), (ShelterKind.SUPPLIES, "应急物资储备点"), (ShelterKind.MEDICAL, "医疗救护点")]


def load_demo_shelters(log) -> None:
    if Shelter.objects.exists():
        log(f"shelters: {Shelter.objects.count()} already loaded, skipped")
        return
    villages = Zone.objects.filter(level=Level.VILLAGE).order_by("code")
    shelters = []
    for index, village in enumerate(villages[::10]):
        point = village.geom.point_on_surface
        located = locate_point(point.x, point.y)
        if located is None:
            continue
        kind, label = KINDS[index % len(KINDS)]
        shelters.append(Shelter(code=f"SH-{village.code}", name=f"{village.name}{label}", kind=kind,
                                location=point, grid_code=located.grid.code,
                                capacity=max(100, village.residents // 20), occupancy=0))
    Shelter.objects.bulk_create(shelters)
    log(f"shelters: {len(shelters)} shelters and resource points")
