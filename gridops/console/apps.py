from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The operators' console page: a page-layer app, it gathers what its script needs from the
    domain apps and owns no data (docs/architecture.md)."""

    name = "gridops.console"
    label = "console"
