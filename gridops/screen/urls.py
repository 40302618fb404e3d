"""Pages of the screen app (the API route lives in api/urls.py)."""
from django.urls import path

from . import views

urlpatterns = [
    path("screen/", views.screen, name="screen"),
    path("screen/<str:code>/", views.screen, name="screen-zone"),
]
