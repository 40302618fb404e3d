"""The console page (its data comes from the domain apps' APIs, tiles and the event socket)."""
from django.urls import path

from . import views

urlpatterns = [
    path("console/", views.console, name="console"),
]
