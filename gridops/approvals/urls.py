"""Pages of the approvals app (API routes live in api/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("approvals/map/", views.approvals_map, name="approvals-map"),
    path("approvals/apply/", views.apply_online, name="approvals-apply"),
    path("approvals/desk/", views.desk, name="approvals-desk"),
    path("approvals/halls/<str:code>/screen/", views.hall_screen, name="approvals-hall-screen"),
]
