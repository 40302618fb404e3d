"""The tablet PWA: the page, its service worker (served under /tablet/ for its scope), its manifest."""
from django.urls import path

from . import views

urlpatterns = [
    path("tablet/", views.tablet, name="tablet"),
    path("tablet/sw.js", views.service_worker, name="tablet-sw"),
    path("tablet/manifest.webmanifest", views.manifest, name="tablet-manifest"),
]
