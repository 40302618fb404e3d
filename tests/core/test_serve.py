"""One way to serve GridOps (`manage.py serve`, gridops/core/server.py), checked on a live server.

The tests' live servers start through the same command as `make run`, the container and the
cluster's nodes, so these two properties hold for all of them: an idle keep-alive connection lives
through a client's pause (uvicorn's own 5 s closed it just as tablets reused it: transport errors
in the load test), and websocket messages are not compressed per message.
"""
from __future__ import annotations

import asyncio
import re
import socket
import time

import pytest
from websockets.asyncio.client import connect

pytestmark = pytest.mark.django_db(transaction=True)


def _status_of_get(sock: socket.socket, path: str) -> int:
    """One HTTP/1.1 request on an open connection; its status once the whole body is read."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    while length and len(body) < int(length.group(1)) or not length and not body.endswith(b"0\r\n\r\n"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-body")
        body += chunk
    return int(head.split(b" ", 2)[1])


def test_a_keep_alive_connection_outlives_a_clients_pause(asgi_server):
    port = int(asgi_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        assert _status_of_get(sock, "/healthz") == 200
        time.sleep(6.5)  # longer than uvicorn's default keep-alive (5 s), as a tablet's think time
        assert _status_of_get(sock, "/healthz") == 200


def test_websocket_messages_are_not_compressed(asgi_server):
    async def negotiated_extensions():
        # The client offers permessage-deflate; the server must decline it.
        url = asgi_server.url.replace("http://", "ws://") + "/ws/events/"
        async with connect(url, origin=asgi_server.url, compression="deflate") as socket_:
            return socket_.response.headers.get("Sec-WebSocket-Extensions")

    assert asyncio.run(asyncio.wait_for(negotiated_extensions(), 20)) is None


def test_the_served_application_freezes_its_start_up_heap_and_sets_the_gil_switch_interval():
    """A worker imports the application, then moves what the imports built out of the cyclic
    collector's view (`gridops/asgi.py`): full collections walked it every 15-20 s under load,
    pausing every thread of the worker for 185-355 ms; and collects at the configured thresholds.
    It also takes the GIL switch interval from the settings when one is given (the default keeps
    Python's 5 ms; bench/results/gil_switch.md). Checked in a fresh interpreter, as a worker starts."""
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings

    probe = ("import gc, json, sys, gridops.asgi; print(json.dumps({'frozen': gc.get_freeze_count(), "
             "'tracked': len(gc.get_objects()), 'thresholds': gc.get_threshold(), "
             "'switch': sys.getswitchinterval()}))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=settings.BASE_DIR, capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, DJANGO_SETTINGS_MODULE="gridops.settings.local",
                                                  GRIDOPS_GC_THRESHOLDS="9000,11,12", GRIDOPS_GIL_SWITCH_MS="2.5"))
    assert result.returncode == 0, result.stderr[-2000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["frozen"] > 100_000
    assert counts["tracked"] < counts["frozen"] // 100
    assert counts["thresholds"] == [9000, 11, 12]  # the setting's, not Python's (700, 10, 10)
    assert counts["switch"] == pytest.approx(0.0025)  # the setting's, not Python's 0.005
