from django.apps import AppConfig


class ScreenConfig(AppConfig):
    name = "gridops.screen"
    label = "screen"
