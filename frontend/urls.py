"""Pages: the zone map at /, and the other apps' pages."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.zone_map, name="zone-map"),
]
