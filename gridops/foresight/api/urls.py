"""API routes of foresight, mounted under /api/v1/."""
from django.urls import path

from . import views

urlpatterns = [
    path("foresight/hotspots/", views.HotSpotsView.as_view(), name="foresight-hotspots"),
    path("foresight/emerging/", views.EmergingView.as_view(), name="foresight-emerging"),
    path("foresight/forecast/", views.ForecastView.as_view(), name="foresight-forecast"),
    path("foresight/heat/", views.HeatView.as_view(), name="foresight-heat"),
    path("foresight/warnings/", views.WarningListView.as_view(), name="foresight-warnings"),
    path("foresight/warnings/<int:pk>/acknowledge/", views.AcknowledgeView.as_view(), name="foresight-acknowledge"),
]
