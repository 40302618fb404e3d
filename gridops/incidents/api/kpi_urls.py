"""KPI API routes of the incidents app, mounted under /api/v1/ by gridops/urls.py."""
from django.urls import path

from . import kpi_views

urlpatterns = [
    path("kpis/incidents/", kpi_views.KpiView.as_view(), name="incident-kpis"),
    # The console's live strip (its path predates the move from the realtime app; unchanged).
    path("realtime/kpis/", kpi_views.KpiStripView.as_view(), name="realtime-kpis"),
]
