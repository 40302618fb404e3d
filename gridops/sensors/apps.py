from django.apps import AppConfig


class SensorsConfig(AppConfig):
    name = "gridops.sensors"
    label = "sensors"
    verbose_name = "物联感知 sensors"
