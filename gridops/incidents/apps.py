from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "gridops.incidents"
    label = "incidents"

    def ready(self):
        from gridops.core import tokens

        from .selectors import preload_grid_ids

        if preload_grid_ids not in tokens.user_preloaders:
            tokens.user_preloaders.append(preload_grid_ids)
