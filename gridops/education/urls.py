"""Pages of the education app (API routes live in api/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("education/", views.planner_page, name="education-planner"),
]
