"""API routes of the incidents app, mounted under /api/v1/."""
from django.urls import path

from . import export_views, views

urlpatterns = [
    path("incidents/", views.IncidentListView.as_view(), name="incident-list"),
    path("incidents/export.csv", export_views.IncidentExportView.as_view(), name="incident-export"),
    path("incidents/overdue/", views.OverdueView.as_view(), name="incident-overdue"),
    path("incidents/meta/", views.IncidentMetaView.as_view(), name="incident-meta"),
    path("incidents/<int:pk>/", views.IncidentDetailView.as_view(), name="incident-detail"),
    path("incidents/<int:pk>/transitions/", views.IncidentTransitionView.as_view(), name="incident-transition"),
    path("incidents/<int:pk>/merge/", views.IncidentMergeView.as_view(), name="incident-merge"),
    path("incidents/<int:pk>/duplicates/", views.IncidentDuplicatesView.as_view(), name="incident-duplicates"),
    path("incidents/<int:pk>/photos/", views.IncidentPhotoView.as_view(), name="incident-photos"),
    path("catalogue/departments/", views.DepartmentListView.as_view(), name="catalogue-departments"),
    path("catalogue/categories/", views.CategoryListView.as_view(), name="catalogue-categories"),
    path("catalogue/event-types/", views.EventTypeListView.as_view(), name="catalogue-event-types"),
    path("worker-positions/", views.WorkerPositionView.as_view(), name="worker-positions"),
    path("worker-positions/latest/", views.WorkerPositionLatestView.as_view(), name="worker-positions-latest"),
]
