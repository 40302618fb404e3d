"""Django's ASGI handler with a fixed pool of long-lived request threads.

Stock Django runs each HTTP request's synchronous code in a brand-new thread
(`ThreadSensitiveContext()` per request), and database connections are per thread, so under
ASGI every request opens a new PostgreSQL connection (+ PostGIS type set-up): about 20 ms that
`CONN_MAX_AGE` cannot save. Here each request borrows one of N single-thread executors for its
whole life (asgiref's `ThreadSensitiveContext(executor=...)`); the threads live as long as the
process, so their connections persist and are health-checked by Django as usual. N bounds the
process's concurrent synchronous requests and its database connections.

The middleware and the view run as one synchronous chain in that thread (`load_middleware(
is_async=False)`, as under WSGI). Stock ASGI builds an async chain; every middleware here is
synchronous, so Django adapted it at the innermost one: the request thread handed the view back
to the event loop (`async_to_sync`), which handed it to the same thread again (`sync_to_async`).
Under the load test those two extra crossings of a busy event loop were 31 % of the request
threads' wall time (py-spy, issue 13), time a thread held its slot doing nothing.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler


class PooledThreadASGIHandler(ASGIHandler):
    def __init__(self, threads: int):
        super().__init__()
        self._executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-req-{i}") for i in range(threads)]
        self._load = [0] * threads
        self._free = asyncio.Semaphore(threads)

    def load_middleware(self, is_async=False):
        """The chain is synchronous whatever ASGIHandler asks for (built once, at start)."""
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        """The synchronous chain (middleware, view, error logging) in the request's thread, one hop."""
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        async with self._free:
            slot = min(range(len(self._load)), key=self._load.__getitem__)
            self._load[slot] += 1
            try:
                async with ThreadSensitiveContext(executor=self._executors[slot]):
                    await self.handle(scope, receive, send)
            finally:
                self._load[slot] -= 1
