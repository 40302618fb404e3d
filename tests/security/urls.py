"""Every route of the site, from the URL resolver, with arguments that reach a real object of the
security world (tests/security/world.py). A route added without an entry here fails the matrix."""
from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from .world import NANZHUANG

ADMIN = "admin"


def all_routes(resolver=None, namespace: str = "", prefix: str = "") -> list[tuple[str, object]]:
    """(qualified url name, callback) of every pattern; an unnamed one is named by its route."""
    resolver = resolver or get_resolver()
    routes = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = ":".join(part for part in (namespace, pattern.namespace) if part)
            routes.extend(all_routes(pattern, ns, route))
        elif isinstance(pattern, URLPattern):
            name = pattern.name or f"<{route}>"
            routes.append((f"{namespace}:{name}" if namespace else name, pattern.callback))
    return routes


def implemented_methods(callback) -> set[str]:
    """HTTP methods a class-based view answers (empty for function views: their rows say)."""
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is None:
        return set()
    return {m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)}


def url_args(world) -> dict[str, list]:
    """Positional arguments per url name, pointing at the world's objects."""
    return {
        "zone-detail": ["44060410101001001"], "zone-children": ["440604101"],
        "incident-detail": [world["incident"].pk], "incident-transition": [world["incident"].pk],
        "incident-merge": [world["incident"].pk], "incident-duplicates": [world["incident"].pk],
        "incident-photos": [world["incident"].pk],
        "media": ["incidents/0/no-such-photo.jpg"],
        "approvals-item": [world["item"].code], "approvals-hall-queue": [world["hall"].code],
        "approvals-hall-tickets": [world["hall"].code], "approvals-hall-bookings": [world["hall"].code],
        "approvals-ticket-check-in": [world["ticket"].pk], "approvals-ticket-finish": [world["ticket"].pk],
        "approvals-ticket-no-show": [world["ticket"].pk], "approvals-counter-call": [world["counter"].pk],
        "approvals-case": [world["case"].number], "approvals-case-transition": [world["case"].number],
        "approvals-case-rating": [world["case"].number], "approvals-hall-screen": [world["hall"].code],
        "education-plan": [world["plan"].pk], "education-publish": [world["plan"].pk],
        "education-assign": [world["plan"].pk], "education-unassign": [world["plan"].pk],
        "education-balance": [world["plan"].pk], "education-catchments": [world["plan"].pk],
        "education-grids": [world["plan"].pk], "education-whatif": [world["plan"].pk],
        "education-apply": [world["plan"].pk], "education-school": [world["school"].code],
        "education-export": ["catchments", "geojson"],
        "ledger-api:entry": [world["checkin"].entry.index], "ledger-api:vendor": [world["vendor"].code],
        "ledger-api:vendor-qr": [world["vendor"].code, "svg"], "ledger:vendor-page": [world["vendor"].code],
        "open311-discovery": ["json"], "open311-services": ["json"], "open311-service": ["0101001", "json"],
        "open311-requests": ["json"], "open311-request": [world["incident"].pk, "json"],
        "foresight-acknowledge": [999_999],  # no such warning: analysts get 404, others 403
        # Emergencies: no such emergency, task or shelter (operators reach the lookup: 404)
        "emergency-api:detail": [999_999], "emergency-api:escalate": [999_999], "emergency-api:close": [999_999],
        "emergency-api:task": [999_999], "emergency-api:shelter-occupancy": ["S-NONE"],
        "tile": ["incidents", 14, 13336, 7112], "screen-zone": [NANZHUANG],
        **{name: ["incidents"] for name in ("ogc-collection", "ogc-queryables", "ogc-items", "ogc-tilesets")},
        "ogc-item": ["incidents", world["incident"].pk], "ogc-tileset": ["incidents", "WebMercatorQuad"],
        "ogc-tile-matrix-set": ["WebMercatorQuad"],
    }
