"""How GridOps is served: uvicorn's options in one place.

`make run`, the container, the cluster's application nodes, the benches and the tests' live servers
all start through `manage.py serve`, so what a test or a bench measures is the server production
runs. Before, each started uvicorn with its own flags and they had drifted (the container kept
permessage-deflate on; the tests' servers kept uvicorn's 5-second keep-alive).
"""
from __future__ import annotations

from django.conf import settings

APPLICATION = "gridops.asgi:application"


def uvicorn_options(*, host: str | None = None, port: int | None = None, workers: int | None = None,
                    forwarded_allow_ips: str | None = None, log_level: str = "info",
                    access_log: bool = False) -> dict:
    """Keyword arguments for `uvicorn.run`; what is not given comes from settings (the environment)."""
    return {
        "host": host or settings.GRIDOPS_BIND_HOST,
        "port": port if port is not None else settings.GRIDOPS_BIND_PORT,
        "workers": workers or settings.GRIDOPS_WEB_WORKERS,
        # Pushes are small JSON messages sent to many sockets: compressing each one per socket cost
        # more CPU than the bytes it saved on a LAN or 4G link (issue 13's profile).
        "ws_per_message_deflate": False,
        "timeout_keep_alive": settings.GRIDOPS_KEEP_ALIVE_SECONDS,
        # X-Forwarded-For/-Proto are believed only from these addresses (the reverse proxy's).
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips or settings.GRIDOPS_FORWARDED_ALLOW_IPS,
        "server_header": False,
        # No line per request unless asked: it costs CPU under load, and the audit log keeps what matters.
        "access_log": access_log,
        "log_level": log_level,
        # A stopping node finishes what it holds for a few seconds, then lets clients reconnect elsewhere.
        "timeout_graceful_shutdown": 5,
    }


def serve(**overrides) -> None:
    import uvicorn

    uvicorn.run(APPLICATION, **uvicorn_options(**overrides))
