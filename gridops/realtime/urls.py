"""Routes of the realtime app outside the API (the pages that use it live in the pages layer)."""
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    # The websocket path, reversible for pages (served by Channels, not by this view).
    path("ws/events/", RedirectView.as_view(url="/console/"), name="ws-events-path"),
]
