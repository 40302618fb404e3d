"""Pages of the realtime app: the operator console and the grid worker's tablet (a PWA).

The views only gather what the page's script needs (URLs, translated strings, the filter
choices); everything else comes from the APIs, the vector tiles and the event socket.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from gridops.accounts.models import Role
from gridops.accounts.selectors import role_of

from .selectors import audiences_of, latest_event_id

# Justice officers use the console for the corrections check-in layer (their incidents view is empty).
CONSOLE_ROLES = {Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR, Role.DEPARTMENT_HANDLER, Role.JUSTICE_OFFICER}
STATIC_DIR = Path(settings.BASE_DIR) / "frontend" / "static"

# The incidents API (helper B) by URL name, with the conventional path when the name is absent.
API_ROUTES = {
    "incidents": ("incident-list", "/api/v1/incidents/"),
    "eventTypes": ("catalogue-event-types", "/api/v1/catalogue/event-types/"),
    "token": ("auth-token", "/api/v1/auth/token"),
    "positions": ("realtime-positions", "/api/v1/realtime/positions/"),
    "centres": ("realtime-centres", "/api/v1/realtime/centres/"),
    "me": ("realtime-me", None),
    "kpiStrip": ("realtime-kpis", None),
}
# Other apps' map layers, by URL name (shown only when the route exists and the role may see it):
# key, URL name, label, marker colour, roles (None: every console role), popup fields, live kind.
OPTIONAL_LAYERS = [
    {"key": "halls", "route": "approvals-halls", "label": _("Approval halls"), "colour": "#7c3aed", "roles": None,
     "fields": [("address", _("Address")), ("today.waiting", _("Waiting")),
                ("today.served", _("Served today")), ("today.open_counters", _("Open counters"))],
     "live": "hall.queue"},
    {"key": "schools", "route": "education-layer", "label": _("Schools"), "colour": "#0891b2",
     "roles": {Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR},
     "fields": [("seats", _("Seats")), ("demand", _("Demand")), ("gap", _("Gap"))], "live": None},
    {"key": "stalls", "route": "ledger-api:vendors", "label": _("Market stalls"), "colour": "#ca8a04", "roles": None,
     "fields": [("market", _("Market")), ("stall_no", _("Stall")), ("goods", _("Goods")), ("state", _("Verification"))],
     "live": None},
    {"key": "checkins", "route": "ledger-api:checkins", "label": _("Check-ins"), "colour": "#be123c",
     "roles": {Role.JUSTICE_OFFICER},
     "fields": [("case_no", _("Case no.")), ("at", _("Time")), ("inside_geofence", _("Inside the allowed area"))],
     "live": "ledger.checkin"},
]


def _url(name: str, fallback: str | None) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def api_urls() -> dict:
    return {key: _url(name, fallback) for key, (name, fallback) in API_ROUTES.items()}


def optional_layers(user) -> list[dict]:
    """The other apps' layers this user may toggle (check-ins: justice officers only)."""
    role = role_of(user)
    layers = []
    for layer in OPTIONAL_LAYERS:
        url = _url(layer["route"], None)
        if url and (layer["roles"] is None or role in layer["roles"]):
            layers.append({"key": layer["key"], "url": url, "label": str(layer["label"]), "colour": layer["colour"],
                           "fields": [[name, str(label)] for name, label in layer["fields"]], "live": layer["live"]})
    return layers


def _choices() -> dict:
    from gridops.incidents.models import Category, Priority, Status

    return {
        "statuses": [{"value": s.value, "label": s.label} for s in Status],
        "priorities": [{"value": p.value, "label": p.label} for p in Priority],
        "categories": list(Category.objects.values("code", "name")),
    }


def console_strings() -> dict:
    return {
        "open": _("Open"), "overdue": _("Overdue"), "closureRate": _("Closure rate today"),
        "live": _("Live"), "reconnecting": _("Reconnecting…"), "offline": _("Disconnected"),
        "newIncident": _("New incident"), "updated": _("Updated"), "details": _("Details"),
        "history": _("History"), "photos": _("Photos"), "routing": _("Why it was routed here"),
        "actions": _("Actions"), "conflict": _("Someone else changed this incident first; it has been reloaded."),
        "failed": _("The action failed"), "done": _("Done"), "note": _("Note"),
        "department": _("Department"), "status": _("Status"), "priority": _("Priority"),
        "type": _("Type"), "reported": _("Reported"), "deadline": _("Resolution deadline"),
        "grid": _("Micro-grid"), "town": _("Town"), "noPhotos": _("No photos"),
        "cluster": _("{n} incidents ({open} open, {overdue} overdue)"), "zone": _("{name}: {open} open, {overdue} overdue"),
        "mergeInto": _("Merge into incident no."), "zonesLayer": _("Zones (open incidents)"),
        "centres": _("Command centres"), "workers": _("Grid workers"), "yes": _("Yes"), "no": _("No"), "closePanel": _("Close panel"), "reload": _("Too many missed updates: the map was reloaded."),
        "actionNames": {
            "registered": _("Register"), "dispatched": _("Dispatch"), "in_progress": _("Accept"),
            "resolved": _("Resolve"), "verified": _("Verify"), "closed": _("Close"),
            "returned": _("Return"), "void": _("Void"), "merge": _("Merge duplicate"),
        },
    }


def console(request):
    """The command-centre map: operators of the district, a town or a department."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if role_of(request.user) not in CONSOLE_ROLES:
        return render(request, "console/forbidden.html", status=403)
    config = {
        "api": api_urls(),
        "tiles": {"zones": "/tiles/zones/{z}/{x}/{y}.pbf", "incidents": "/tiles/incidents/{z}/{x}/{y}.pbf"},
        "ws": reverse("ws-events-path"),
        "lastId": latest_event_id(),
        "role": role_of(request.user),
        "audiences": audiences_of(request.user),
        "optionalLayers": optional_layers(request.user),
        "timeZone": settings.TIME_ZONE,
        "choices": _choices(),
        "i18n": console_strings(),
    }
    return render(request, "console/console.html", {"config": config})

