"""Under ASGI, consecutive requests reuse a long-lived thread and its database connection."""
import asyncio

import pytest
from channels.testing import HttpCommunicator
from django.core.signals import request_finished
from django.db import connection

from gridops.asgi import django_asgi_app


async def _until(predicate, timeout=5.0):
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.mark.django_db(transaction=True)
async def test_requests_reuse_their_database_connection(tiny_district):
    seen = []

    def record(**kwargs):
        seen.append(connection.connection)  # the raw psycopg2 connection of the request's thread

    request_finished.connect(record)
    try:
        for count in range(1, 4):
            communicator = HttpCommunicator(django_asgi_app, "GET", "/api/v1/locate?lon=113.01&lat=23.005",
                                            headers=[(b"host", b"testserver")])
            response = await communicator.get_response(timeout=15)
            assert response["status"] == 200
            await _until(lambda: len(seen) == count)  # request_finished comes after the body
    finally:
        request_finished.disconnect(record)
    assert seen[0] is not None
    assert seen[0] is seen[1] is seen[2]


@pytest.mark.django_db(transaction=True)
async def test_a_request_never_hands_its_view_back_to_the_event_loop(tiny_district, monkeypatch):
    """Middleware and view run as one synchronous chain in the request's pooled thread. Stock ASGI
    adapted the chain at its innermost middleware: the thread handed the view to the event loop
    (`async_to_sync`), which handed it back; under load those waits were 31 % of the request
    threads' time (issue 13)."""
    from asgiref import sync

    crossings = []
    original = sync.AsyncToSync.__call__

    def counted(self, *args, **kwargs):
        crossings.append(repr(self.awaitable))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sync.AsyncToSync, "__call__", counted)
    for path in ("/api/v1/locate?lon=113.01&lat=23.005", "/healthz", "/no-such-page"):
        communicator = HttpCommunicator(django_asgi_app, "GET", path, headers=[(b"host", b"testserver")])
        response = await communicator.get_response(timeout=15)
        assert response["status"] in (200, 404)
    assert crossings == []
