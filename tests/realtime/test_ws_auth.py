"""The websocket auth gate in-process (Channels' communicator on the real ASGI stack): what a
socket opened with a token carries on to revocation."""
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from gridops.asgi import application

from .test_consumers import people, session_cookie  # noqa: F401 (fixture)
from .test_revocation import _closed_with

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_token_socket_that_also_sends_a_cookie_is_revoked_with_its_token(people):
    """The token decides who the socket is, so deleting the token closes it (4401) even though the
    same client also sent a session cookie (the revocation follows the credential that opened it)."""
    operator = people["users"]["nanzhuang"]
    token = await database_sync_to_async(Token.objects.create)(user=operator)
    cookie = await database_sync_to_async(session_cookie)(operator)
    communicator = WebsocketCommunicator(application, "/ws/events/", headers=[
        (b"host", b"testserver"), (b"cookie", cookie), (b"authorization", f"Bearer {token.key}".encode())])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["kind"] == "realtime.hello"
    await database_sync_to_async(token.delete)()
    assert await _closed_with(communicator) == 4401
