"""Spatial core API, mounted under /api/v1/."""
from django.urls import path

from . import views

urlpatterns = [
    path("locate", views.LocateView.as_view(), name="locate"),
    path("zones", views.ZoneListView.as_view(), name="zone-list"),
    path("zones/generations", views.GenerationListView.as_view(), name="zone-generations"),
    path("zones/<str:code>", views.ZoneDetailView.as_view(), name="zone-detail"),
    path("zones/<str:code>/children", views.ZoneChildrenView.as_view(), name="zone-children"),
    path("command-centres", views.CommandCentreListView.as_view(), name="command-centre-list"),
]
