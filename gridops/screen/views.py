"""The command centre's big screen page: `/screen/` (the viewer's jurisdiction) and `/screen/<town>/`.

Thin: the page gets its figures from the screen-summary API, its map from the vector tiles and
its live updates from the event socket; the view gathers URLs, names and translated strings.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geodata.models import Level, Zone
from gridops.core.errors import GridOpsError
from gridops.realtime.selectors import latest_event_id

from . import selectors

OUTLINE_TOLERANCE_DEG = 0.0002  # ~20 m: the mask around a town, invisible at wall-display zooms


def screen_strings() -> dict:
    """What the script writes itself (the template translates the rest)."""
    return {
        "reported": _("Reports"), "closed": _("Resolved"), "seed": _("Seed"), "minutes": _("{n} min"),
        "primary": _("Primary"), "junior": _("Junior secondary"), "noHead": _("No signed head yet"),
        "period": _("Last {days} days"), "live": _("Live"), "reconnecting": _("Reconnecting…"),
        "noData": _("No data"), "signedAt": _("signed {when}"),
    }


def _names(zone: Zone) -> dict[str, str]:
    """Names of the towns and areas under the screen's zone (the feed names an incident's town)."""
    qs = Zone.objects.filter(level__in=(Level.TOWN, Level.AREA), code__startswith=zone.code)
    return dict(qs.values_list("code", "name"))


def _outline(zone: Zone) -> tuple[list, str]:
    geom = Zone.all_generations.only("geom").get(pk=zone.pk).geom
    xmin, ymin, xmax, ymax = geom.extent
    return [[ymin, xmin], [ymax, xmax]], geom.simplify(OUTLINE_TOLERANCE_DEG, preserve_topology=True).json


@require_GET
def screen(request, code: str | None = None):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        zone = selectors.screen_zone(request.user, code)
    except GridOpsError as exc:
        return render(request, "screen/refused.html", status=exc.status)
    bounds, outline = _outline(zone)
    config = {
        "zone": {"code": zone.code, "name": zone.name, "level": zone.level, "bounds": bounds, "outline": outline},
        "summary": reverse("screen-summary") + f"?zone={zone.code}",
        "tiles": {"zones": "/tiles/zones/{z}/{x}/{y}.pbf?status=open",
                  "incidents": "/tiles/incidents/{z}/{x}/{y}.pbf?status=open"},
        "ws": reverse("ws-events-path"),
        "lastId": latest_event_id(),
        "names": _names(zone),
        "timeZone": settings.TIME_ZONE,
        "tileUrl": settings.GRIDOPS_TILE_URL,
        "i18n": screen_strings(),
    }
    return render(request, "screen/screen.html", {"config": config, "zone": zone})
