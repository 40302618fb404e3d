"""Root URLs: each app owns its own routes; this file only mounts them."""
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from gridops.core.media import serve_media
from gridops.core.ratelimit import login_limited

api_v1 = [
    path("", include("geodata.api.urls")),
    path("", include("gridops.accounts.api.urls")),
    path("", include("gridops.incidents.api.urls")),
    path("", include("gridops.incidents.api.kpi_urls")),
    path("", include("gridops.realtime.api.urls")),
    path("", include("gridops.approvals.api.urls")),
    path("", include("gridops.education.api.urls")),
    path("", include("gridops.ledger.api.urls")),
    path("", include("gridops.screen.api.urls")),
    path("", include("gridops.emergency.api.urls")),
    path("", include("gridops.foresight.api.urls")),
    path("", include("gridops.sensors.api.urls")),
]

urlpatterns = [
    # The admin's sign-in counts against the same login limit as the login page and the token API.
    path("admin/login/", login_limited(admin.site.login), name="admin-login"),
    path("", include("gridops.core.urls")),  # /healthz, /readyz
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the CSP runs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("tiles/", include("geodata.tiles_urls")),
    path("open311/v2/", include("gridops.incidents.open311.urls")),
    path("ogc/", include("gridops.ogc.urls")),
    path("", include("gridops.accounts.urls")),
    path("", include("gridops.incidents.urls")),
    path("", include("gridops.realtime.urls")),
    path("", include("gridops.console.urls")),
    path("", include("gridops.tablet.urls")),
    path("", include("gridops.approvals.urls")),
    path("", include("gridops.education.urls")),
    path("", include("gridops.ledger.urls")),
    path("", include("gridops.screen.urls")),
    path("", include("frontend.urls")),
    # Uploaded media through one view (core/media.py): incident photos only, nosniff, sandboxed;
    # in production nginx sends the bytes (X-Accel-Redirect).
    re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.+)$", serve_media, name="media"),
]
