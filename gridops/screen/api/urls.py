"""API routes of the screen app, mounted under /api/v1/."""
from django.urls import path

from . import views

urlpatterns = [
    path("screen/summary/", views.ScreenSummaryView.as_view(), name="screen-summary"),
]
