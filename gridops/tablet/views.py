"""The grid worker's tablet app (a PWA, a page of the pages layer): the page, its service worker
and its manifest.

The page gets only URLs and translated strings; the tasks, the actions each task allows (the
API's `allowed_transitions`) and the catalogue come from the API, so nothing here copies a rule.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from gridops.core.i18n import error_code_messages
from gridops.incidents import rules

STATIC_DIR = Path(settings.BASE_DIR) / "frontend" / "static"


def api_urls() -> dict:
    """The APIs the tablet's script calls (sign-in, who am I, the catalogue, reports, locate)."""
    return {"token": reverse("auth-token"), "me": reverse("me"), "eventTypes": reverse("catalogue-event-types"),
            "incidents": reverse("incident-list"), "locate": reverse("locate")}


def tablet_strings() -> dict:
    return {
        "signIn": _("Sign in"), "signOut": _("Sign out"), "wrongLogin": _("Wrong user name or password"),
        "tasks": _("My tasks"), "report": _("Report"), "queue": _("Outbox"), "noTasks": _("No open tasks"),
        "queued": _("Saved on this tablet; it will be sent when the connection returns."),
        "sent": _("Sent"), "sending": _("Sending…"), "waiting": _("Waiting for connection"),
        "rejected": _("Refused by the server"), "online": _("Online"), "offlineNow": _("Offline"),
        "pickType": _("Choose an event type"), "pickPlace": _("Tap the map or use GPS"),
        "gpsFailed": _("GPS position unavailable: tap the map"),
        "conflict": _("This task was changed by someone else; reloaded."), "emptyQueue": _("Nothing waiting to be sent"),
        "incidentNo": _("Incident no. {id}"), "photoCount": _("{n} photo(s)"),
        "deadline": _("Due {when}"), "overdue": _("Overdue"), "place": _("Place"),
        "noResults": _("No event type matches “{q}”"), "locating": _("Finding the micro-grid…"),
        "gridUnknown": _("micro-grid found when sent"), "outside": _("Outside the district"),
        "actionDone": _("{action}: done (incident no. {id})"), "actionFailed": _("{action} refused: {reason}"),
        "signedOut": _("Signed out; this tablet keeps no tasks or reports."),
        "remove": _("Remove from the outbox"),
        # Each move's label, from the lifecycle's one table (a resolved task's two checks differ).
        "moves": {f"{frm}>{to}": str(label) for (frm, to), label in rules.TRANSITION_LABELS.items()},
        "errors": error_code_messages(),
    }


def tablet(request):
    """The grid worker's tablet app; it signs in with a token so it can work offline."""
    config = {
        "api": api_urls(),
        "tiles": {"zones": "/tiles/zones/{z}/{x}/{y}.pbf?counts=0"},
        "ws": reverse("ws-events-path"),
        "sw": reverse("tablet-sw"),
        "scope": reverse("tablet"),
        "timeZone": settings.TIME_ZONE,
        "i18n": tablet_strings(),
    }
    return render(request, "tablet/tablet.html", {"config": config})


# Files the service worker keeps for offline start (the page itself is added by the worker).
TABLET_SHELL = [
    "css/gridops.css", "tablet/tablet.css", "js/dom.js", "tablet/tablet.js", "tablet/type_search.js", "tablet/icon.svg",
    "vendor/idb-keyval.umd.js", "vendor/leaflet.vectorgrid.min.js",
    "leaflet/leaflet.js", "leaflet/leaflet.css",
    "emergency/emergency.css", "emergency/tablet_emergency.js",  # emergency task cards work offline too
]


def shell_version(worker_source: str) -> str:
    """A content hash of the worker and every shell file: the same files give the same version in
    every process (Python's `hash()` is salted per process, which made each restart a new
    version and every tablet re-download its shell), and any changed byte gives a new one."""
    digest = hashlib.sha256(worker_source.encode("utf-8"))
    for path in TABLET_SHELL:
        digest.update(path.encode("utf-8") + b"\0")
        found = finders.find(path)
        if found:
            with open(found, "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()[:16]


@never_cache
def service_worker(request):
    """The tablet's service worker, served under /tablet/ so its scope covers the app."""
    shell = [static(path) for path in TABLET_SHELL]
    source = (STATIC_DIR / "tablet" / "sw.js").read_text(encoding="utf-8")
    version = shell_version(source)
    body = f"const SHELL = {shell!r};\nconst VERSION = {version!r};\nconst PAGE = {reverse('tablet')!r};\n" + source
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("tablet")
    return response


def manifest(request):
    body = {
        "name": _("GridOps grid worker"), "short_name": _("GridOps"), "start_url": reverse("tablet"),
        "scope": reverse("tablet"), "display": "standalone", "background_color": "#ffffff",
        "theme_color": "#16233a", "lang": request.LANGUAGE_CODE,
        "icons": [{"src": static("tablet/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json")
