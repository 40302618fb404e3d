"""Map settings every page needs (the basemap URL is optional: none can be fetched offline)."""
from django.conf import settings


def map_settings(request):
    return {
        "GRIDOPS_TILE_URL": settings.GRIDOPS_TILE_URL,
        "GRIDOPS_TILE_ATTRIBUTION": settings.GRIDOPS_TILE_ATTRIBUTION,
    }
