"""Thin page views: templates fetch their data from the API."""
from django.shortcuts import render
from django.utils.translation import gettext as _

from geodata.models import Level


def zone_map(request):
    """The hierarchy with a level switcher (the first map page)."""
    i18n = {
        "count": _("{n} {level} in {towns} towns"),
        "countTowns": _("{n} towns"),
        "levels": {"town": _("towns"), "area": _("areas"), "village": _("villages"), "grid": _("micro-grids")},
        "levelNames": {level.name.lower(): level.label for level in Level},  # keyed as the API writes levels
        "code": _("Code"), "level": _("Level"), "residents": _("Residents"), "households": _("Households"),
        "area": _("Surface area"), "children": _("Child zones"), "chain": _("Parent chain"),
        "legendTitle": _("Residents per km²"), "townBoundary": _("Town boundary"),
    }
    return render(request, "frontend/zone_map.html", {"i18n": i18n})
