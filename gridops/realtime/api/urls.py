"""API routes of the realtime app, mounted under /api/v1/."""
from django.urls import path

from . import views

urlpatterns = [
    path("realtime/centres/", views.CentresView.as_view(), name="realtime-centres"),
    path("realtime/positions/", views.PositionsView.as_view(), name="realtime-positions"),
    path("realtime/me/", views.MeView.as_view(), name="realtime-me"),
    path("realtime/kpis/", views.KpiStripView.as_view(), name="realtime-kpis"),
]
