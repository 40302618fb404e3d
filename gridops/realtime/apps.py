from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "gridops.realtime"
    label = "realtime"
