"""Pages of the realtime app (API routes live in api/urls.py)."""
from django.urls import path
from django.views.generic import RedirectView

from . import tablet_views, views

urlpatterns = [
    path("console/", views.console, name="console"),
    path("tablet/", tablet_views.tablet, name="tablet"),
    path("tablet/sw.js", tablet_views.service_worker, name="tablet-sw"),
    path("tablet/manifest.webmanifest", tablet_views.manifest, name="tablet-manifest"),
    # The websocket path, reversible for pages (served by Channels, not by this view).
    path("ws/events/", RedirectView.as_view(url="/console/"), name="ws-events-path"),
]
