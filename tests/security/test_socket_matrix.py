"""The socket row of the permission matrix: /ws/events/ for every role (real ASGI app, Redis).

Anonymous is refused (4401); every signed-in role is accepted but joins only its own audiences, which is
what decides what it receives (the district centre everything, a town its town, ...). A new
websocket route without a row here fails `test_every_socket_has_a_row`.
"""
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from gridops.asgi import application
from gridops.realtime.routing import websocket_urlpatterns

from .world import ROLES, build_world

pytestmark = pytest.mark.django_db(transaction=True)

# role → audiences joined besides `user.<id>` and `public` (None: refused).
SOCKETS = {
    "ws-events": {
        "anonymous": None,
        "citizen": set(),
        "grid_worker": {"grid.44060410101001001"},
        "department_handler": {"dept.cg"},
        "town_operator": {"town.440604101"},
        "district_operator": {"district"},
        "planner": set(),
        "counter_clerk": {"hall.H440604101"},
        "reviewer": set(),
        "justice_officer": {"justice"},
    },
}


def test_every_socket_has_a_row():
    assert {p.name for p in websocket_urlpatterns} == set(SOCKETS)


def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def test_events_socket_per_role(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.GRIDOPS_WS_AUTH_TIMEOUT = 0.2  # how long a socket without credentials waits for them
    world = await database_sync_to_async(build_world)()
    for role in ROLES:
        headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
        if role != "anonymous":
            headers.append((b"cookie", await database_sync_to_async(_cookie)(world["users"][role])))
        communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        expected = SOCKETS["ws-events"][role]
        if expected is None:  # accepted, then closed with the code a client can read (docs/websocket.md)
            assert connected, role
            closed = await communicator.receive_output(timeout=5)
            assert (closed["type"], closed["code"]) == ("websocket.close", 4401), role
            continue
        assert connected, role
        hello = await communicator.receive_json_from(timeout=5)
        joined = {"user" if a.startswith("user.") else a for a in hello["audiences"]}
        assert joined == expected | {"user", "public"}, (role, hello["audiences"])
        await communicator.disconnect()
