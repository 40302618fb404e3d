from django.apps import AppConfig


class ForesightConfig(AppConfig):
    name = "gridops.foresight"
    label = "foresight"
    verbose_name = "预判 foresight"
