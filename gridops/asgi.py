"""ASGI entry point: HTTP through Django, websockets through Channels.

`django.setup()` runs before any consumer import so the app registry is ready.
"""
import gc
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridops.settings.local")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from gridops.core.asgi_handler import PooledThreadASGIHandler  # noqa: E402

# Every view module is imported now, at start, not inside a worker's first request (the URLconf
# pulls in the analysis stack: over a second under load, which that request and those queued
# behind it waited for).
get_resolver().url_patterns

# Long-lived request threads keep their database connections (see the handler's docstring). How
# many per process is GRIDOPS_ASGI_THREADS: the most synchronous requests (and database connections)
# one process runs at once; the rest wait on the event loop, which costs nothing. Under the load
# test's full mix 4 threads served 97-103 req/s with push p99 174-176 ms where 8 served 73-85 req/s
# with push p99 339-492 ms (bench/results/asgi_threads.md): with 8, requests that had started fought
# over the GIL and the two cores, and every one of them, and every push, waited longer.
django_asgi_app = PooledThreadASGIHandler(threads=settings.GRIDOPS_ASGI_THREADS)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from gridops.realtime.routing import websocket_urlpatterns  # noqa: E402
from gridops.realtime.ws_auth import KeepServerSend, WebsocketAuthGate  # noqa: E402

# The gate checks Origin (browsers) and API tokens (native apps) and closes refused sockets with
# a close code; the session user comes from AuthMiddlewareStack (see realtime/ws_auth.py). Event
# frames go straight to the server's send (`KeepServerSend`).
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": KeepServerSend(AuthMiddlewareStack(WebsocketAuthGate(URLRouter(websocket_urlpatterns)))),
    }
)

# The heap the imports built (Django, DRF, GDAL bindings, the analysis stack: some 270,000 objects
# that live as long as the process) leaves the collector's view. Each full collection walked
# all of it: every 15-20 s per worker under the load test, 185-355 ms with every thread of the
# process stopped (issue 13). What requests allocate is still collected, at the thresholds
# the settings give (GRIDOPS_GC_THRESHOLDS): Python's (700, 10, 10) ran 142 generation-1
# collections a minute per worker under the load test, ~8 ms each, and the collector took 2.6 s
# of a worker's ~30 s of CPU; at (10000, 10, 10) 1.3-1.6 s, each young collection ~11 ms.
gc.collect()
gc.freeze()
if settings.GRIDOPS_GC_THRESHOLDS:
    gc.set_threshold(*settings.GRIDOPS_GC_THRESHOLDS)

# A thread that gives the GIL up for I/O (every SQL statement, Redis call, GEOS/GDAL call, socket
# write) waits to get it back until the holder lets go, at the latest when its switch interval
# (Python's 5 ms) runs out. GRIDOPS_GIL_SWITCH_MS shortens it; the default keeps Python's, because
# the two mixes measured disagree (bench/results/gil_switch.md): at 1 ms the intake bench alone
# (8 clients, interleaved, 3 rounds) served 139 reports/s against 115, but the load test's full mix
# served 95-97 req/s against 103-107 with p99 1.33-1.49 s against 0.87-0.96 s: the event loop and four
# request threads trading the lock five times as often cost more than the shorter waits saved.
if settings.GRIDOPS_GIL_SWITCH_MS:
    sys.setswitchinterval(settings.GRIDOPS_GIL_SWITCH_MS / 1000)
