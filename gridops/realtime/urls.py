"""Pages of the realtime app (API routes live in api/urls.py)."""
from django.urls import path
from django.views.generic import RedirectView

from . import views

urlpatterns = [
    path("console/", views.console, name="console"),
    path("tablet/", views.tablet, name="tablet"),
    path("tablet/sw.js", views.service_worker, name="tablet-sw"),
    path("tablet/manifest.webmanifest", views.manifest, name="tablet-manifest"),
    # The websocket path, reversible for pages (served by Channels, not by this view).
    path("ws/events/", RedirectView.as_view(url="/console/"), name="ws-events-path"),
]
