from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "gridops.incidents"
    label = "incidents"

    def ready(self):
        from gridops.core import tokens

        from .selectors import preload_grid_ids, preload_reach

        for preload in (preload_grid_ids, preload_reach):  # the grids first: the reach reads them
            if preload not in tokens.user_preloaders:
                tokens.user_preloaders.append(preload)
