from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gridops.core"
    label = "core"
    verbose_name = "GridOps core"

    def ready(self):
        from . import log_redaction, tokens

        tokens.code_digest()  # the source this process loaded (a later checkout must not change it)

        log_redaction.install()  # no token or API key in any log line (uvicorn's included)
        from . import refcache

        refcache.connect_receivers()  # reference responses rebuilt when their rows change
