"""Test data for approvals: small inline zones, a town centre with counters, items of two departments."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.db import connections

from geodata.models import Level, Zone
from gridops.accounts.models import Department, Role
from gridops.approvals.models import (
    ClerkAssignment, Counter, DocumentType, Hall, HallKind, Item, ItemDocument,
)
from gridops.core.resident_id import resident_id_with_check
from tests import images
from tests.builders import make_user

HOURS = {day: [["09:00", "12:00"], ["13:30", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG, JPEG = images.PNG, images.JPEG  # real images: uploads are decoded (gridops.core.uploads)


def square(x0, y0, size):
    return MultiPolygon(Polygon.from_bbox((x0, y0, x0 + size, y0 + size)), srid=4326)


def zone_tree() -> dict[str, Zone]:
    """District 440604 with two towns (祖庙 001, 南庄 101), an area and a village in 南庄."""
    district = Zone.objects.create(code="440604", name="禅城区", level=Level.DISTRICT, geom=square(113.0, 23.0, 0.2))
    zumiao = Zone.objects.create(code="440604001", name="祖庙街道", level=Level.TOWN, parent=district,
                                 geom=square(113.1, 23.1, 0.1))
    nanzhuang = Zone.objects.create(code="440604101", name="南庄镇", level=Level.TOWN, parent=district,
                                    geom=square(113.0, 23.0, 0.1))
    area = Zone.objects.create(code="44060410101", name="南庄片区", level=Level.AREA, parent=nanzhuang,
                               geom=square(113.0, 23.0, 0.05))
    village = Zone.objects.create(code="44060410101001", name="紫洞村", level=Level.VILLAGE, parent=area,
                                  geom=square(113.0, 23.0, 0.02))
    return {"district": district, "zumiao": zumiao, "nanzhuang": nanzhuang, "village": village}


def hall_at(zone: Zone, code: str, kind=HallKind.TOWN_CENTRE, counters: int = 3) -> Hall:
    centre = zone.geom.point_on_surface
    hall = Hall.objects.create(code=code, name=f"{zone.name}行政服务中心", kind=kind, zone=zone,
                               location=Point(centre.x, centre.y, srid=4326), opening_hours=HOURS)
    Counter.objects.bulk_create([Counter(hall=hall, number=n) for n in range(1, counters + 1)])
    return hall


def department(code: str, name: str) -> Department:
    return Department.objects.get_or_create(code=code, defaults={"name": name, "short_name": name[:4]})[0]


def doc_type(code: str, name: str, reuse_days: int = 365) -> DocumentType:
    return DocumentType.objects.get_or_create(code=code, defaults={"name": name, "reuse_days": reuse_days})[0]


def item(code: str, name: str, dept: Department, docs: list[str], *, on_the_spot=False, online=True,
         legal=20, promised=5, kind="person") -> Item:
    obj = Item.objects.create(code=code, name=name, department=dept, category="licence", applicant_kind=kind,
                              legal_limit_days=legal, promised_limit_days=promised, on_the_spot=on_the_spot,
                              online=online)
    for doc in docs:
        ItemDocument.objects.create(item=obj, document_type=doc_type(doc, doc))
    return obj


def user_with(role: str, *, dept: Department | None = None, zone: Zone | None = None, hall: Hall | None = None):
    """A user of `role` (tests/builders.make_user); a counter clerk also works at `hall`."""
    user = make_user(role=role, department=dept, zone=zone)
    if hall is not None and role == Role.COUNTER_CLERK:
        ClerkAssignment.objects.create(user=user, hall=hall)
    return user


def person_id(n: int) -> str:
    return resident_id_with_check(f"44060419900101{n:03d}")


def off_loop(func, **kwargs):
    """Run a service in a fresh thread: its after-commit push uses async_to_sync, which refuses a thread
    where an event loop runs (Playwright keeps one in the main thread for the whole session)."""
    def call():
        try:
            return func(**kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result(timeout=30)


def attest(user, id_number: str, *, by) -> None:
    """The ledger's identity attestation that `user` holds `id_number` (made by clerk `by`)."""
    from gridops.ledger.services.identity import identity_attest

    identity_attest(actor=by, subject=user, id_number=id_number)
