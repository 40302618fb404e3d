from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "gridops.incidents"
    label = "incidents"
