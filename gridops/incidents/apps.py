from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "gridops.incidents"
    label = "incidents"

    def ready(self):
        from django.db.models.signals import m2m_changed

        from gridops.core import tokens

        from .jurisdiction import on_co_reporters_changed, preload_co_reported
        from .models import Incident
        from .selectors import preload_grid_ids, preload_reach
        from .tiles import preload_visibility_digest

        # The grids and co-reported ids first: the reach and the tiles' visibility read them.
        for preload in (preload_grid_ids, preload_co_reported, preload_reach, preload_visibility_digest):
            if preload not in tokens.user_preloaders:
                tokens.user_preloaders.append(preload)
        m2m_changed.connect(on_co_reporters_changed, sender=Incident.co_reporters.through,
                            dispatch_uid="gridops.incidents.co_reporters")
