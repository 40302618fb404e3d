from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "gridops.realtime"
    label = "realtime"

    def ready(self):
        from .revocation import connect_receivers

        connect_receivers()
