"""Event frames go straight to the ASGI server's send (`ws_auth.KeepServerSend`), and a stack
without it still delivers them through the consumer: the layers in between only pass a
`websocket.send` on, so what a client receives is the same either way."""
import pytest
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from gridops.realtime.routing import websocket_urlpatterns
from gridops.realtime.ws_auth import SERVER_SEND, KeepServerSend, WebsocketAuthGate

from .test_consumers import people, publish, session_cookie  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_server_send_rides_in_websocket_scopes_only():
    seen = {}

    async def app(scope, receive, send):
        seen[scope["type"]] = scope.get(SERVER_SEND)

    async def server_send(message):
        pass

    async def receive():
        return {}

    wrapped = KeepServerSend(app)
    await wrapped({"type": "websocket", "path": "/ws/events/"}, receive, server_send)
    await wrapped({"type": "http", "path": "/healthz"}, receive, server_send)
    assert seen == {"websocket": server_send, "http": None}


async def _events_through(application, user) -> list[dict]:
    cookie = await database_sync_to_async(session_cookie)(user)
    communicator = WebsocketCommunicator(application, "/ws/events/?batch=1",
                                         headers=[(b"origin", b"http://testserver"), (b"host", b"testserver"),
                                                  (b"cookie", cookie)])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["kind"] == "realtime.hello"
    sent = [await publish(kind="incident.created", payload={"n": n}, audiences=["district"]) for n in range(3)]
    received = []
    while len(received) < len(sent):
        message = await communicator.receive_json_from(timeout=5)
        received.extend(message if isinstance(message, list) else [message])
    await communicator.disconnect()
    assert [m["id"] for m in received] == [event.id for event in sent]
    return received


@pytest.mark.parametrize("outermost", [True, False], ids=["server-send", "through-the-consumer"])
async def test_a_socket_hears_the_same_frames_with_or_without_the_direct_send(people, settings, outermost):  # noqa: F811
    settings.GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS = 0
    stack = AuthMiddlewareStack(WebsocketAuthGate(URLRouter(websocket_urlpatterns)))
    application = KeepServerSend(stack) if outermost else stack
    received = await _events_through(application, people["users"]["district"])
    assert [m["payload"] for m in received] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert all(m["kind"] == "incident.created" and "committed_at" in m for m in received)
