"""The realtime app's former API paths, mounted under /api/v1/: each answers 301 to the one
resource that replaced it (issue 15 folded the duplicates), query string kept, for one release.

| old path | kept path (served by) |
|---|---|
| realtime/me/ | me/ (accounts) |
| realtime/centres/ | command-centres (geodata; `?within=<zone code>` cuts to a jurisdiction) |
| realtime/positions/ | worker-positions/latest/ (incidents; `?minutes=`, not `?hours=`) |

Remove these routes in the release after (docs/architecture.md, "Moved endpoints").
"""
from django.urls import path
from django.views.generic import RedirectView


class Moved(RedirectView):
    """301 to the URL named `pattern_name`, query string kept; reads only, as the old paths were
    (a write answers 405, not a redirect a client would follow as a GET). Not in the OpenAPI
    schema, which lists the kept paths only."""

    permanent = True
    query_string = True
    http_method_names = ["get", "head", "options"]


def moved(to: str):
    return Moved.as_view(pattern_name=to)


urlpatterns = [
    path("realtime/me/", moved("me"), name="realtime-me"),
    path("realtime/centres/", moved("command-centre-list"), name="realtime-centres"),
    path("realtime/positions/", moved("worker-positions-latest"), name="realtime-positions"),
]
