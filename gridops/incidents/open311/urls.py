"""Open311 GeoReport v2 routes, mounted at /open311/v2/ by gridops/urls.py.

Every route ends in `.<format>` (json or xml), as GeoReport v2 clients expect.
"""
from django.urls import path

from . import views

urlpatterns = [
    path("discovery.<str:fmt>", views.discovery, name="open311-discovery"),
    path("services.<str:fmt>", views.service_list, name="open311-services"),
    path("services/<str:service_code>.<str:fmt>", views.service_definition, name="open311-service"),
    path("requests.<str:fmt>", views.request_list, name="open311-requests"),
    path("requests/<str:service_request_id>.<str:fmt>", views.request_detail, name="open311-request"),
]
