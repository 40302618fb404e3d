"""The events websocket against the real ASGI app, Redis and PostGIS.

Who receives an incident is the jurisdiction rule of dispatch: the district centre everything, a
town sub-centre its town, a department its assignments, a grid worker their grids.
"""
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.authtoken.models import Token

from gridops.asgi import application
from gridops.realtime.selectors import audiences_of
from gridops.realtime.services import publish_event

from tests.builders import make_user

from .users import NANZHUANG, NANZHUANG_GRID, ZUMIAO, ZUMIAO_GRID, build_people

pytestmark = pytest.mark.django_db(transaction=True)

ZUMIAO_INCIDENT = ["town." + ZUMIAO, "dept.cg", "grid." + ZUMIAO_GRID]
NANZHUANG_INCIDENT = ["town." + NANZHUANG, "dept.sw", "grid." + NANZHUANG_GRID]


@pytest.fixture
def people():
    return build_people()


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(path="/ws/events/", cookie: bytes | None = None):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def open_as(user, last_id=None):
    cookie = await database_sync_to_async(session_cookie)(user)
    path = "/ws/events/" + (f"?last_id={last_id}" if last_id is not None else "")
    communicator, connected, _ = await connect(path, cookie)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["kind"] == "realtime.hello"
    return communicator, hello


async def drain(communicator, wait=0.3) -> list[dict]:
    """Every message that arrives within `wait` seconds of the previous one."""
    messages = []
    # A timed-out receive cancels the application, so ask receive_nothing() first.
    while not await communicator.receive_nothing(timeout=wait):
        messages.append(await communicator.receive_json_from())
    return messages


publish = database_sync_to_async(publish_event)


# who, receives the 祖庙 incident, receives the 南庄 incident
MATRIX = [
    ("district", True, True),
    ("admin", True, True),
    ("zumiao", True, False),
    ("nanzhuang", False, True),
    ("dept_cg", True, False),
    ("dept_sw", False, True),
    ("worker_zm", True, False),
    ("worker_nz", False, True),
    ("justice", False, False),
    ("citizen", False, False),
]


@pytest.mark.parametrize("who,gets_zumiao,gets_nanzhuang", MATRIX)
async def test_permission_matrix(people, who, gets_zumiao, gets_nanzhuang):
    communicator, _ = await open_as(people["users"][who])
    zm = await publish(kind="incident.created", payload={"where": "zumiao"}, audiences=ZUMIAO_INCIDENT)
    nz = await publish(kind="incident.created", payload={"where": "nanzhuang"}, audiences=NANZHUANG_INCIDENT)
    ids = [m["id"] for m in await drain(communicator)]
    assert ids == [i for i, wanted in ((zm.id, gets_zumiao), (nz.id, gets_nanzhuang)) if wanted]
    await communicator.disconnect()


async def test_public_and_personal_events_reach_only_their_audience(people):
    citizen, _ = await open_as(people["users"]["citizen"])
    other, _ = await open_as(people["users"]["justice"])
    public = await publish(kind="notice.public", payload={}, audiences=["public"])
    own = await publish(kind="incident.updated", payload={}, audiences=[f"user.{people['users']['citizen'].pk}"])
    assert [m["id"] for m in await drain(citizen)] == [public.id, own.id]
    assert [m["id"] for m in await drain(other)] == [public.id]
    await citizen.disconnect()
    await other.disconnect()


async def test_anonymous_is_refused(settings):
    """Refusals are accepted-then-closed so the client sees 4401 (docs/websocket.md); a socket
    without credentials may still send them in its first message, within the auth timeout."""
    settings.GRIDOPS_WS_AUTH_TIMEOUT = 0.2
    communicator, connected, _ = await connect()
    assert connected
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401,
                                                            "reason": "authentication required"}


async def test_bad_token_is_refused(people):
    communicator, connected, _ = await connect("/ws/events/?token=not-a-token")
    assert connected
    closed = await communicator.receive_output(timeout=5)
    assert closed["type"] == "websocket.close" and closed["code"] == 4401


async def test_tablet_token_authenticates(people):
    token = await database_sync_to_async(Token.objects.create)(user=people["users"]["worker_zm"])
    communicator, connected, _ = await connect(f"/ws/events/?token={token.key}")
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert "grid." + ZUMIAO_GRID in hello["audiences"] and "district" not in hello["audiences"]
    event = await publish(kind="incident.created", payload={}, audiences=ZUMIAO_INCIDENT)
    assert [m["id"] for m in await drain(communicator)] == [event.id]
    await communicator.disconnect()


async def test_catch_up_after_reconnect(people):
    operator = people["users"]["nanzhuang"]
    communicator, hello = await open_as(operator)
    first = await publish(kind="incident.created", payload={"n": 1}, audiences=NANZHUANG_INCIDENT)
    assert [m["id"] for m in await drain(communicator)] == [first.id]
    await communicator.disconnect()

    missed = [await publish(kind="incident.created", payload={"n": n}, audiences=NANZHUANG_INCIDENT) for n in (2, 3)]
    await publish(kind="incident.created", payload={"n": "zm"}, audiences=ZUMIAO_INCIDENT)  # not theirs

    communicator, hello = await open_as(operator, last_id=first.id)
    replayed = await drain(communicator)
    # The grace window may replay `first` too (clients de-duplicate); everything missed is there once.
    ids = [m["id"] for m in replayed if m["id"] != first.id]
    assert ids == [e.id for e in missed]
    assert hello["replayed"] == len(replayed)
    live = await publish(kind="incident.updated", payload={}, audiences=NANZHUANG_INCIDENT)
    assert [m["id"] for m in await drain(communicator)] == [live.id]
    await communicator.disconnect()


async def test_catch_up_beyond_limit_asks_for_reset(people, settings):
    settings.GRIDOPS_REALTIME_CATCHUP_LIMIT = 2
    for n in range(3):
        await publish(kind="incident.created", payload={"n": n}, audiences=["public"])
    communicator, hello = await open_as(people["users"]["citizen"], last_id=0)
    assert hello["reset"] is True and hello["replayed"] == 2
    await communicator.disconnect()


async def test_ping_pong(people):
    communicator, _ = await open_as(people["users"]["citizen"])
    await communicator.send_json_to({"type": "ping", "t": 5})
    assert await communicator.receive_json_from(timeout=2) == {"kind": "realtime.pong", "t": 5}
    await communicator.disconnect()


def test_audiences_of_roles(people):
    users, grid = people["users"], "grid." + ZUMIAO_GRID
    assert "district" in audiences_of(users["district"])
    assert "town." + ZUMIAO in audiences_of(users["zumiao"])
    assert grid in audiences_of(users["worker_zm"]) and f"user.{users['worker_zm'].pk}" in audiences_of(users["worker_zm"])
    assert audiences_of(None) == []


def test_counter_clerk_hears_their_hall_through_the_audience_provider(people, settings):
    """The approvals app's provider (GRIDOPS_REALTIME_AUDIENCE_PROVIDERS) adds `hall.<code>`."""
    from django.contrib.gis.geos import Point

    from gridops.accounts.models import Role
    from gridops.approvals.models import ClerkAssignment, Hall, HallKind

    assert "gridops.approvals.selectors.realtime_audiences" in settings.GRIDOPS_REALTIME_AUDIENCE_PROVIDERS
    hall = Hall.objects.create(code="ZM-H1", name="祖庙行政服务中心", kind=HallKind.TOWN_CENTRE,
                               zone=people["zones"][ZUMIAO], location=Point(113.03, 23.005))
    clerk = make_user("clerk", Role.COUNTER_CLERK)
    assert "hall.ZM-H1" not in audiences_of(clerk)
    ClerkAssignment.objects.create(user=clerk, hall=hall)
    assert "hall.ZM-H1" in audiences_of(clerk)
    assert not any(name.startswith("hall.") for name in audiences_of(people["users"]["citizen"]))
