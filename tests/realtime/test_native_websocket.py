"""The events websocket as a native app sees it: the third-party `websockets` client against the
live uvicorn server (no Origin header, token in a header, a subprotocol or the first message),
close codes a client can tell apart, and no token in any log line (docs/websocket.md).

The server runs with uvicorn's access log and info logging on, as `make run` could be
configured, so the log assertions cover what uvicorn itself writes.
"""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from gridops.realtime.services import publish_event
from tests.browser_support import ARTIFACTS, AsgiServer, _database_url, session_key_for

from .users import ZUMIAO_GRID, build_people

pytestmark = pytest.mark.django_db(transaction=True)

ZUMIAO_INCIDENT = ["grid." + ZUMIAO_GRID]


@pytest.fixture(scope="module")
def verbose_server(django_db_setup, django_db_blocker):
    """uvicorn with its access log and info messages on (the most a deployment would log)."""
    from django.db import connection

    ARTIFACTS.mkdir(exist_ok=True)
    with django_db_blocker.unblock():
        url = _database_url(connection.settings_dict)
    server = AsgiServer(url, log_args=("--log-level", "info", "--access-log"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def worker_token():
    people = build_people()
    return Token.objects.create(user=people["users"]["worker_zm"]).key


def ws_url(server, query: str = "") -> str:
    return server.url.replace("http://", "ws://") + "/ws/events/" + (f"?{query}" if query else "")


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


async def _hello(socket) -> dict:
    hello = json.loads(await socket.recv())
    assert hello["kind"] == "realtime.hello"
    return hello


async def _close_code(url: str, **options) -> int:
    """Connect, maybe send a first message, and return the close code the server sends."""
    first = options.pop("first", None)
    async with connect(url, **options) as socket:
        if first is not None:
            await socket.send(first)
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    return closed.value.rcvd.code


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_native_client_without_origin_authenticates_with_a_header(verbose_server, worker_token, scheme):
    async def scenario():
        async with connect(ws_url(verbose_server), additional_headers={"Authorization": f"{scheme} {worker_token}"}) as ws:
            hello = await _hello(ws)
            assert "grid." + ZUMIAO_GRID in hello["audiences"]
            await ws.send(json.dumps({"type": "ping", "t": 7}))
            assert json.loads(await ws.recv()) == {"kind": "realtime.pong", "t": 7}
    run(scenario())


def test_token_in_a_subprotocol(verbose_server, worker_token):
    """Browsers cannot set headers; they offer `gridops.v1` and `gridops.token.<key>` and the
    server answers `gridops.v1` (never echoing the token)."""
    async def scenario():
        async with connect(ws_url(verbose_server), subprotocols=["gridops.v1", f"gridops.token.{worker_token}"]) as ws:
            assert ws.subprotocol == "gridops.v1"
            await _hello(ws)
    run(scenario())


def test_token_in_the_first_message_then_catch_up_by_event_id(verbose_server, worker_token):
    earlier = publish_event(kind="incident.created", payload={"n": 1}, audiences=ZUMIAO_INCIDENT)
    missed = publish_event(kind="incident.updated", payload={"n": 2}, audiences=ZUMIAO_INCIDENT)

    async def scenario():
        async with connect(ws_url(verbose_server, f"last_id={earlier.id}")) as ws:
            await ws.send(json.dumps({"type": "auth", "token": worker_token}))
            hello = await _hello(ws)
            assert hello["replayed"] >= 1 and hello["latest_id"] >= missed.id
            # Replay may repeat recent ids (a grace window for late commits); clients de-duplicate.
            replayed = {m["id"]: m for m in [json.loads(await ws.recv()) for _ in range(hello["replayed"])]}
            assert replayed[missed.id]["payload"] == {"n": 2}
    run(scenario())


@pytest.mark.parametrize("how", ["header", "subprotocol", "first message", "query"])
def test_bad_token_gets_close_code_4401_not_http_403(verbose_server, worker_token, how):
    bad = "f" * 40
    options = {
        "header": {"additional_headers": {"Authorization": f"Token {bad}"}},
        "subprotocol": {"subprotocols": ["gridops.v1", f"gridops.token.{bad}"]},
        "first message": {"first": json.dumps({"type": "auth", "token": bad})},
        "query": {},
    }[how]
    url = ws_url(verbose_server, f"token={bad}" if how == "query" else "")
    assert run(_close_code(url, **options)) == 4401


def test_no_credentials_is_4401_at_the_first_other_message(verbose_server, worker_token):
    assert run(_close_code(ws_url(verbose_server), first=json.dumps({"type": "ping"}))) == 4401


def test_browser_origin_is_still_checked(verbose_server, worker_token):
    people_user = Token.objects.get(key=worker_token).user
    cookie = {"Cookie": f"sessionid={session_key_for(people_user)}"}
    own_origin = verbose_server.url  # http://127.0.0.1:<port>, in ALLOWED_HOSTS

    async def scenario():
        async with connect(ws_url(verbose_server), origin=own_origin, additional_headers=cookie) as ws:
            await _hello(ws)
        return await _close_code(ws_url(verbose_server), origin="https://evil.example", additional_headers=cookie)
    assert run(scenario()) == 4403


def test_no_token_in_any_log_line(verbose_server, worker_token):
    """The legacy query token, an Open311 `api_key` in a URL and a rejected token: the server's log
    (uvicorn's access and error loggers, and ours) never holds the secret."""
    secret_key = "c0ffee" * 6 + "beef"

    async def scenario():
        async with connect(ws_url(verbose_server, f"token={worker_token}&last_id=0")) as ws:
            await _hello(ws)
        await _close_code(ws_url(verbose_server, f"token={secret_key}"))
    run(scenario())
    with pytest.raises(urllib.error.HTTPError):  # whatever the status, the URL is logged
        urllib.request.urlopen(f"{verbose_server.url}/open311/v2/requests.json?api_key={secret_key}&x=1",
                               data=b"", timeout=10)
    log = open(verbose_server.log.name, encoding="utf-8").read()
    assert "/ws/events/?token=[redacted]" in log  # the lines are there, the secrets are not
    assert worker_token not in log and secret_key not in log

