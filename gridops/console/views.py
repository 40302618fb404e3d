"""The operator console (指挥中心): a page of the pages layer.

The view only gathers what the page's script needs (URLs, translated strings, the filter
choices, the lifecycle's transition table); everything else comes from the domain apps' APIs,
the vector tiles and the event socket (gridops.realtime).
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from geodata.selectors import zone_extent
from gridops.accounts.models import Department, Role
from gridops.accounts.selectors import NO_ZONE, jurisdiction_code, role_of
from gridops.foresight.selectors import may_use_foresight
from gridops.incidents import rules
from gridops.incidents.conf import tiles_point_min_zoom
from gridops.incidents.models import OPEN_STATUSES
from gridops.realtime.palette import palette
from gridops.realtime.selectors import audiences_of, latest_event_id

# Justice officers use the console for the corrections check-in layer (their incidents view is empty).
CONSOLE_ROLES = {Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR, Role.DEPARTMENT_HANDLER, Role.JUSTICE_OFFICER}
# Workers seen in the last 12 hours are on the map (the window the console has always shown).
WORKER_WINDOW_MINUTES = 12 * 60


def api_urls(user) -> dict:
    """The APIs the console's script calls. Command centres are the district's public list cut to
    the user's jurisdiction (`within`); a zoned role without a zone gets none (None)."""
    code = jurisdiction_code(user)
    centres = reverse("command-centre-list")
    if code == NO_ZONE:
        centres = None
    elif code is not None:
        centres += "?" + urlencode({"within": code})
    return {
        "incidents": reverse("incident-list"),
        "eventTypes": reverse("catalogue-event-types"),
        "positions": reverse("worker-positions-latest") + "?" + urlencode({"minutes": WORKER_WINDOW_MINUTES}),
        "centres": centres,
        "kpiStrip": reverse("realtime-kpis"),
    }


# Other apps' map layers, by URL name (shown only when the route exists and the role may see it):
# key, URL name, label, roles (None: every console role), popup fields, live kind; each key's
# symbol is in palette.PLACES. Labels are lazy: translated per request, not at import.
OPTIONAL_LAYERS = [
    {"key": "halls", "route": "approvals-halls", "label": _lazy("Approval halls"), "roles": None,
     "fields": [("address", _lazy("Address")), ("today.waiting", _lazy("Waiting")),
                ("today.served", _lazy("Served today")), ("today.open_counters", _lazy("Open counters"))],
     "live": "hall.queue"},
    {"key": "schools", "route": "education-layer", "label": _lazy("Schools"),
     "roles": {Role.DISTRICT_OPERATOR, Role.TOWN_OPERATOR},
     "fields": [("seats", _lazy("Seats")), ("demand", _lazy("Demand")), ("gap", _lazy("Gap"))], "live": None},
    {"key": "stalls", "route": "ledger-api:vendors", "label": _lazy("Market stalls"), "roles": None,
     "fields": [("market", _lazy("Market")), ("stall_no", _lazy("Stall")), ("goods", _lazy("Goods")),
                ("state", _lazy("Verification"))],
     "live": None},
    {"key": "checkins", "route": "ledger-api:checkins", "label": _lazy("Check-ins"),
     "roles": {Role.JUSTICE_OFFICER},
     "fields": [("case_no", _lazy("Case no.")), ("at", _lazy("Time")), ("inside_geofence", _lazy("Inside the allowed area"))],
     "live": "ledger.checkin"},
]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def optional_layers(user) -> list[dict]:
    """The other apps' layers this user may toggle (check-ins: justice officers only)."""
    role = role_of(user)
    layers = []
    for layer in OPTIONAL_LAYERS:
        url = _url(layer["route"])
        if url and (layer["roles"] is None or role in layer["roles"]):
            layers.append({"key": layer["key"], "url": url, "label": str(layer["label"]),
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
        "failed": _("The action failed"), "done": _("Done: {action}"), "note": _("Note (optional)"),
        "department": _("Department"), "status": _("Status"), "priority": _("Priority"),
        "type": _("Type"), "reported": _("Reported"), "address": _("Address"),
        "responseDeadline": _("Response deadline"), "resolutionDeadline": _("Resolution deadline"),
        "passed": _("passed"), "escalation": _("Escalation"),
        "grid": _("Micro-grid"), "town": _("Town"), "noPhotos": _("No photos"),
        "zone": _("{name}: {open} open, {overdue} overdue"),
        "mergeInto": _("Merge into incident no."), "merge": _("Merge duplicate"), "zonesLayer": _("Zones (open incidents)"),
        "centres": _("Command centres"), "workers": _("Grid workers"), "yes": _("Yes"), "no": _("No"),
        "closePanel": _("Close panel"), "reload": _("Too many missed updates: the map was reloaded."),
        "dispatchTo": _("Dispatch to"), "noActions": _("You have no action on this incident now."),
        "loading": _("Loading…"), "incidents": _("Incidents"), "search": _("Search"),
        "searchLabel": _("Number, address or grid"), "noResults": _("No incidents match."),
        "resultCount": _("{n} incidents"), "resultCountCapped": _("More than {n} incidents"),
        "more": _("Show more"), "cluster": _("Cluster (number of incidents)"),
        "clusterOverdue": _("Cluster with overdue incidents"), "legendZones": _("Open incidents in zone"),
        "legend": _("Legend"),
    }


def foresight_config(user) -> dict | None:
    """The foresight layers and warning list, for command centres only (None hides them)."""
    if not may_use_foresight(user):
        return None
    return {
        "api": {"heat": reverse("foresight-heat"), "hotspots": reverse("foresight-hotspots"),
                "warnings": reverse("foresight-warnings")},
        "i18n": {"heat": _("Heat map"), "hotspots": _("Hot spots (Gi*)"), "acknowledge": _("Acknowledge warning"),
                 "acknowledgedBy": _("acknowledged by {who}"),
                 "warningLine": _("forecast {forecast} this week, usually {usual}"),
                 "hotspotLine": _("{count} incidents · z = {z} · p = {p}")},
    }


def console(request):
    """The command-centre map: operators of the district, a town or a department."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if role_of(request.user) not in CONSOLE_ROLES:
        return render(request, "console/forbidden.html", status=403)
    config = {
        "api": api_urls(request.user),
        "tiles": {"zones": "/tiles/zones/{z}/{x}/{y}.pbf", "incidents": "/tiles/incidents/{z}/{x}/{y}.pbf"},
        "ws": reverse("ws-events-path"),
        "lastId": latest_event_id(),
        "role": role_of(request.user),
        "audiences": audiences_of(request.user),
        "optionalLayers": optional_layers(request.user),
        "timeZone": settings.TIME_ZONE,
        "choices": _choices(),
        "openStatuses": [str(status) for status in OPEN_STATUSES],
        "transitions": rules.transition_table(),
        "departments": list(Department.objects.values("code", "name")),
        "extent": zone_extent(jurisdiction_code(request.user)),
        "pointMinZoom": tiles_point_min_zoom(),
        "palette": palette(),
        "i18n": console_strings(),
        "foresight": foresight_config(request.user),
    }
    return render(request, "console/console.html", {"config": config})
