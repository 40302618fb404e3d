"""The load client's HTTP side: one keep-alive aiohttp session per simulated device.

Why aiohttp and not httpx: the load client shares the 2-core machine with the server it measures,
so every millisecond of its CPU is taken from the server. A py-spy profile of the client at 2x the
mix (session 13, n = 1,474 samples) put 64 % of its samples in httpx, httpcore and anyio (h11
validation, anyio's per-call task lookups, an import-system lookup on each request) and the client
at 18-19 % of the machine. aiohttp's C parser does the same HTTP/1.1 keep-alive work for a
fraction of that. The replies keep httpx's shape (`status_code`, `json()`, `text`, `headers`),
so the scenarios read the same.
"""
from __future__ import annotations

import json as jsonlib
import ssl

import aiohttp


class Reply:
    """A whole response, read before the request is counted as answered."""

    __slots__ = ("status_code", "headers", "content")

    def __init__(self, status_code: int, headers, content: bytes):
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self):
        return jsonlib.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class DeviceClient:
    """`async with DeviceClient(base_url, headers=...) as http: await http.request(...)`."""

    def __init__(self, base_url: str, *, tls: ssl.SSLContext | None, headers: dict | None = None,
                 timeout: float = 60):
        self.base_url = base_url.rstrip("/")
        self._tls = tls if base_url.startswith("https:") else False
        self._headers = headers or {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> DeviceClient:
        # One connection per device, as a tablet or a console tab holds: its requests are sequential.
        connector = aiohttp.TCPConnector(ssl=self._tls, limit=4)
        self._session = aiohttp.ClientSession(connector=connector, headers=self._headers,
                                              timeout=self._timeout)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._session.close()

    async def request(self, method: str, url: str, *, json=None, data: dict | None = None,
                      files: dict | None = None) -> Reply:
        """`files` as httpx takes them: {field: (filename, bytes, content type)}."""
        body = data
        if files:
            body = aiohttp.FormData()
            for name, value in (data or {}).items():
                body.add_field(name, value)
            for name, (filename, content, content_type) in files.items():
                body.add_field(name, content, filename=filename, content_type=content_type)
        async with self._session.request(method, self.base_url + url, json=json, data=body) as response:
            content = await response.read()
            return Reply(response.status, response.headers, content)
