from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gridops.core"
    label = "core"
    verbose_name = "GridOps core"
