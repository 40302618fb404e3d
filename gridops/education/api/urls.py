"""API routes of the education app, mounted under /api/v1/."""
from django.urls import path

from . import views

urlpatterns = [
    path("education/plans/", views.PlanListView.as_view(), name="education-plans"),
    path("education/plans/<int:pk>/", views.PlanDetailView.as_view(), name="education-plan"),
    path("education/plans/<int:pk>/publish/", views.PlanPublishView.as_view(), name="education-publish"),
    path("education/plans/<int:pk>/assign/", views.PlanAssignView.as_view(), name="education-assign"),
    path("education/plans/<int:pk>/unassign/", views.PlanAssignView.as_view(remove=True), name="education-unassign"),
    path("education/plans/<int:pk>/balance/", views.PlanBalanceView.as_view(), name="education-balance"),
    path("education/plans/<int:pk>/catchments/", views.PlanCatchmentsView.as_view(), name="education-catchments"),
    path("education/plans/<int:pk>/grids/", views.PlanGridsView.as_view(), name="education-grids"),
    path("education/plans/<int:pk>/whatif/", views.PlanWhatIfView.as_view(), name="education-whatif"),
    path("education/plans/<int:pk>/apply/", views.PlanApplyView.as_view(), name="education-apply"),
    path("education/serve/", views.ServeView.as_view(), name="education-serve"),
    path("education/schools/", views.SchoolListView.as_view(), name="education-schools"),
    path("education/schools/<str:code>/", views.SchoolDetailView.as_view(), name="education-school"),
    path("education/layer/", views.LayerView.as_view(), name="education-layer"),
    path("education/export/<str:view>.<str:fmt>", views.ExportView.as_view(), name="education-export"),
    path("education/import/schools/", views.ImportView.as_view(), {"kind": "schools"}, name="education-import-schools"),
    path("education/import/catchments/", views.ImportView.as_view(), {"kind": "catchments"}, name="education-import-catchments"),
]
