"""Sockets do not outlive the session (issue 11 finding 6): logout, token revocation and a change
of role or jurisdiction close the open sockets, on the real stack (hub, Redis stream, PostGIS).

Before: audiences were fixed at connect and nothing reached an open socket afterwards, so after
logout it kept receiving its town's incidents.
"""
import pytest
from channels.db import database_sync_to_async
from django.test import Client
from rest_framework.authtoken.models import Token

from .test_consumers import NANZHUANG_INCIDENT, ZUMIAO, connect, drain, people, publish  # noqa: F401
from .users import NANZHUANG

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def _open_with(client: Client):
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator, connected, _ = await connect("/ws/events/", cookie)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["kind"] == "realtime.hello"
    return communicator


async def _closed_with(communicator) -> int:
    message = await communicator.receive_output(timeout=5)
    assert message["type"] == "websocket.close", message
    return message["code"]


async def test_logout_closes_that_sessions_sockets_only(people):
    operator = people["users"]["nanzhuang"]
    browser, other_browser = await database_sync_to_async(_signed_in)(operator), await database_sync_to_async(_signed_in)(operator)
    socket, other = await _open_with(browser), await _open_with(other_browser)

    response = await database_sync_to_async(browser.post)("/accounts/logout/")
    assert response.status_code in (200, 302)
    assert await _closed_with(socket) == 4401
    event = await publish(kind="incident.created", payload={}, audiences=NANZHUANG_INCIDENT)
    assert [m["id"] for m in await drain(other)] == [event.id]  # the other session is still signed in
    await other.disconnect()


async def test_token_revocation_closes_token_sockets(people):
    worker = people["users"]["worker_nz"]
    token = await database_sync_to_async(Token.objects.create)(user=worker)
    communicator, connected, _ = await connect(f"/ws/events/?token={token.key}")
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["kind"] == "realtime.hello"
    await database_sync_to_async(token.delete)()
    assert await _closed_with(communicator) == 4401


async def test_zone_change_closes_and_reconnect_hears_the_new_town(people):
    operator = people["users"]["nanzhuang"]
    browser = await database_sync_to_async(_signed_in)(operator)
    socket = await _open_with(browser)

    def move_to_zumiao():
        profile = operator.profile
        profile.zone = people["zones"][ZUMIAO]
        profile.save()

    await database_sync_to_async(move_to_zumiao)()
    assert await _closed_with(socket) == 4409
    socket = await _open_with(browser)
    await publish(kind="incident.created", payload={}, audiences=NANZHUANG_INCIDENT)
    zumiao = await publish(kind="incident.created", payload={}, audiences=["town." + ZUMIAO])
    assert [m["id"] for m in await drain(socket)] == [zumiao.id]
    await socket.disconnect()


async def test_deactivated_user_is_closed(people):
    operator = people["users"]["nanzhuang"]
    socket = await _open_with(await database_sync_to_async(_signed_in)(operator))

    def deactivate():
        operator.is_active = False
        operator.save()

    await database_sync_to_async(deactivate)()
    assert await _closed_with(socket) == 4401


async def test_unrelated_saves_keep_the_socket(people):
    """A login (last_login) or a profile save that changes nothing of access does not close."""
    operator = people["users"]["nanzhuang"]
    socket = await _open_with(await database_sync_to_async(_signed_in)(operator))

    def harmless():
        operator.profile.display_name = "南庄值班"
        operator.profile.save()
        operator.save(update_fields=["last_login"])

    await database_sync_to_async(harmless)()
    event = await publish(kind="incident.created", payload={}, audiences=["town." + NANZHUANG])
    assert [m["id"] for m in await drain(socket)] == [event.id]
    await socket.disconnect()
