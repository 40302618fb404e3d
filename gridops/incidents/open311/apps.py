from django.apps import AppConfig


class Open311Config(AppConfig):
    """Open311 GeoReport v2 as its own app (label `open311`): its API keys and what a client sent
    beside the incident (media URL, the key it used) live in their own tables."""

    name = "gridops.incidents.open311"
    label = "open311"
    verbose_name = "Open311"
    default_auto_field = "django.db.models.BigAutoField"
