from django.apps import AppConfig


class TabletConfig(AppConfig):
    """The grid worker's tablet PWA: a page-layer app that serves the page, its service worker and
    its manifest; the tasks and reports go through the incidents API (docs/architecture.md)."""

    name = "gridops.tablet"
    label = "tablet"
