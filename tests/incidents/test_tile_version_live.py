"""The remembered tile version seen from outside, on a live uvicorn process (the suite's other
tests read the version on every call): a write by another process (this test process) leaves the
server's tile ETag where it was until the server hears of an incident event, and its event-stream
reader, running while a socket is open on it, makes it hear at once."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from gridops.realtime.services import publish_event
from tests.browser_support import ARTIFACTS, AsgiServer, _database_url
from tests.geodata.test_tiles import tile_url
from tests.realtime.users import ZUMIAO_GRID, build_people, make_incident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def remembering_server(django_db_setup, django_db_blocker):
    """uvicorn keeping the tile version for a minute: longer than the test, so only hearing of an
    incident event can move it."""
    from django.db import connection

    ARTIFACTS.mkdir(exist_ok=True)
    with django_db_blocker.unblock():
        url = _database_url(connection.settings_dict)
    server = AsgiServer(url, extra_env={"GRIDOPS_TILE_VERSION_SECONDS": "60"})
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def _tile(server, token: str, etag: str | None = None) -> tuple[int, str | None]:
    headers = {"Authorization": f"Token {token}", **({"If-None-Match": etag} if etag else {})}
    request = urllib.request.Request(server.url + tile_url("incidents", 16), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers["ETag"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("ETag")


def test_a_tile_moves_with_another_process_write_once_the_server_hears_of_it(remembering_server):
    people = build_people()
    token = Token.objects.create(user=people["users"]["district"]).key
    status, etag = _tile(remembering_server, token)
    assert status == 200 and etag

    make_incident(people["zones"], ZUMIAO_GRID)  # written here, without an event: not heard there
    assert _tile(remembering_server, token, etag)[0] == 304  # the server's version is kept

    async def hear_an_incident_event() -> int:
        url = remembering_server.url.replace("http://", "ws://") + "/ws/events/"
        async with connect(url, additional_headers={"Authorization": f"Token {token}"}) as socket:
            assert json.loads(await socket.recv())["kind"] == "realtime.hello"  # its reader is running
            event = await asyncio.to_thread(publish_event, kind="incident.updated", payload={},
                                            audiences=["grid." + ZUMIAO_GRID])
            while json.loads(await socket.recv()).get("id") != event.id:
                pass  # delivered to the socket: the server's reader has read it
            return event.id

    asyncio.run(asyncio.wait_for(hear_an_incident_event(), 20))
    status, moved = _tile(remembering_server, token, etag)
    assert status == 200 and moved != etag
