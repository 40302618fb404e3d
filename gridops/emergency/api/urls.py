"""API routes of emergency response, mounted under /api/v1/."""
from django.urls import path

from . import views

app_name = "emergency-api"

urlpatterns = [
    path("emergencies/", views.EmergencyListView.as_view(), name="list"),
    path("emergencies/kpis/", views.KpiView.as_view(), name="kpis"),
    path("emergencies/shelters/", views.ShelterLayerView.as_view(), name="shelters"),
    path("emergencies/shelters/<str:code>/occupancy/", views.ShelterOccupancyView.as_view(), name="shelter-occupancy"),
    path("emergencies/nearest-workers/", views.NearestWorkersView.as_view(), name="nearest-workers"),
    path("emergencies/tasks/mine/", views.MyTasksView.as_view(), name="my-tasks"),
    path("emergencies/tasks/<int:pk>/", views.TaskAdvanceView.as_view(), name="task"),
    path("emergencies/<int:pk>/", views.EmergencyDetailView.as_view(), name="detail"),
    path("emergencies/<int:pk>/escalate/", views.EmergencyEscalateView.as_view(), name="escalate"),
    path("emergencies/<int:pk>/close/", views.EmergencyCloseView.as_view(), name="close"),
]
