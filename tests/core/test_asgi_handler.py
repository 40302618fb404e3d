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
