"""API routes of sensors, mounted under /api/v1/."""
from django.urls import path

from . import views

urlpatterns = [
    path("sensors/readings/", views.ReadingView.as_view(), name="sensor-readings"),
    path("sensors/devices/", views.DeviceListView.as_view(), name="sensor-devices"),
]
