"""Who is on the other end of a websocket, decided once before the consumer runs.

Browsers and native apps (tablets, scripts, the `websockets` library) connect to the same
`/ws/events/`, and they authenticate differently:

- a page of the site sends its session cookie, and the browser always adds an `Origin` header;
  an `Origin` that is not one of `ALLOWED_HOSTS` is closed with 4403 (cross-site websocket
  hijacking needs a browser, and browsers always send `Origin`);
- a native client sends no `Origin`, and authenticates with its API token in the
  `Authorization: Token <key>` (or `Bearer <key>`) header, in a `gridops.token.<key>`
  subprotocol (browsers cannot set headers), or in its first message `{"type": "auth",
  "token": "<key>"}` (the socket is then accepted first and waits `GRIDOPS_WS_AUTH_TIMEOUT`
  seconds for it). `?token=<key>` is still read for old clients; it is redacted from logs.

A refused socket is always accepted and then closed with a close code (4401 bad or missing
credentials, 4403 foreign origin, 1013 try again), never refused with a bare HTTP 403: only the
close code reaches a client's `onclose`, so it can tell "sign in again" from "come back later".
The token rule itself is `gridops.core.tokens`, the same for DRF, tiles and websockets.
The protocol is documented in docs/websocket.md.
"""
from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlparse

from channels.security.websocket import OriginValidator
from django.conf import settings

from gridops.core.tokens import TokenRejected, aauthenticate_key, token_key_from_header

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
SUBPROTOCOL = "gridops.v1"
TOKEN_SUBPROTOCOL_PREFIX = "gridops.token."


def auth_timeout() -> float:
    """Seconds a socket without credentials waits for its `auth` message."""
    return float(getattr(settings, "GRIDOPS_WS_AUTH_TIMEOUT", 10))


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def origin_allowed(origin: str) -> bool:
    """Channels' own origin matching, against ALLOWED_HOSTS (localhost too under DEBUG)."""
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    return OriginValidator(None, hosts).validate_origin(urlparse(origin))


def presented_key(scope) -> str | None:
    """A token presented at the handshake: header, then subprotocol, then the legacy query."""
    key = token_key_from_header(_header(scope, b"authorization"))
    if key is not None:
        return key
    for protocol in scope.get("subprotocols") or []:
        if protocol.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return protocol[len(TOKEN_SUBPROTOCOL_PREFIX):]
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return values[0] if values else None


class _Socket:
    """One handshake seen from the server: replays `websocket.connect` to the consumer, and
    makes every close carry its code (accepting first if nobody did)."""

    def __init__(self, scope, receive, send, connect_message):
        self._receive, self._send = receive, send
        self._pending = [connect_message]
        self.accepted = False
        self.gone = False  # the client left before we closed
        offered = scope.get("subprotocols") or []
        self.subprotocol = SUBPROTOCOL if SUBPROTOCOL in offered else None

    async def receive(self):
        if self._pending:
            return self._pending.pop(0)
        return await self._receive()

    async def accept(self) -> None:
        if not self.accepted:
            self.accepted = True
            message = {"type": "websocket.accept"}
            if self.subprotocol:
                message["subprotocol"] = self.subprotocol  # never the token protocol
            await self._send(message)

    async def close(self, code: int, reason: str = "") -> None:
        if self.gone:
            return
        await self.accept()
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def send(self, message) -> None:
        if message["type"] == "websocket.accept":
            await self.accept()  # the consumer's accept, or nothing if we accepted already
            return
        if message["type"] == "websocket.close":
            await self.accept()
        await self._send(message)

    async def first_message(self, timeout: float):
        """The client's first frame as JSON, or None (timeout, binary, not JSON, gone)."""
        try:
            message = await asyncio.wait_for(self._receive(), timeout)
        except asyncio.TimeoutError:
            return None
        if message["type"] == "websocket.disconnect":
            self.gone = True
            return None
        if message["type"] != "websocket.receive" or not message.get("text"):
            return None
        try:
            return json.loads(message["text"])
        except ValueError:
            return None


SERVER_SEND = "gridops.server_send"


class KeepServerSend:
    """Outermost on the websocket stack: keeps the ASGI server's own `send` in the scope, under
    SERVER_SEND, for the consumer's event frames.

    Every frame otherwise went down through the consumer's send, this gate's `_Socket.send` and
    Channels' session middleware (which looks at the lazy session on every message and acts only
    on `http.response.start`), before reaching uvicorn; pushes are the one message sent thousands
    of times a second (the load test at 2x: ~2,200 frames/s), and for a `websocket.send` every
    layer in between passes the message on unchanged. The handshake and the close still go
    through the stack (accept, close codes, the session)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            scope = dict(scope, **{SERVER_SEND: send})
        return await self.app(scope, receive, send)


class WebsocketAuthGate:
    """ASGI middleware inside `AuthMiddlewareStack` (so the session user is known) and around the
    websocket router: sets `scope["user"]` from the token, or closes with a code."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        connect = await receive()
        if connect["type"] != "websocket.connect":
            return None
        socket = _Socket(scope, receive, send, connect)
        origin = _header(scope, b"origin")
        if origin is not None and not origin_allowed(origin):
            return await socket.close(CLOSE_FORBIDDEN_ORIGIN, "origin not allowed")
        try:
            user, by_token = await self._user(scope, socket)
        except TokenRejected:
            return await socket.close(CLOSE_UNAUTHENTICATED, "invalid token")
        if user is None:
            return await socket.close(CLOSE_UNAUTHENTICATED, "authentication required")
        # `token_auth`: the socket stands on the API token, not the session cookie it may also
        # carry (so deleting the token, not signing that browser out, revokes it).
        return await self.app(dict(scope, user=user, token_auth=by_token), socket.receive, socket.send)

    async def _user(self, scope, socket: _Socket):
        """(user or None, whether a token authenticated it)."""
        key = presented_key(scope)
        if key is not None:
            return await aauthenticate_key(key), True
        session_user = scope.get("user")
        if session_user is not None and session_user.is_authenticated:
            return session_user, False
        await socket.accept()
        message = await socket.first_message(auth_timeout())
        if not isinstance(message, dict) or message.get("type") != "auth" or not isinstance(message.get("token"), str):
            return None, False
        return await aauthenticate_key(message["token"]), True
