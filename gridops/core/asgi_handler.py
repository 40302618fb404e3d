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

A request also crosses from the event loop to its thread once, not three times. Stock
`ASGIHandler.handle` crosses for `request_started`'s receivers (closing stale connections), for
the chain, and for `response.close()` (which fires `request_finished`); each crossing is an
executor submission, a thread wake-up and a wake-up of the event loop again, and waits behind
whatever else the busy loop is doing. Here the signal, the request's construction, the chain and,
for a response whose body is already in memory, its close all run in that one crossing
(`_respond_in_thread`); the loop only reads the body and writes the answer. A streaming response
(exports, feeds) is closed after its last chunk, as Django does. Stock Django also listens for
the client's disconnect meanwhile, to cancel an async view; a synchronous chain cannot be
cancelled, and uvicorn drops what is sent to a client that has gone, so that task is not kept.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


class PooledThreadASGIHandler(ASGIHandler):
    def __init__(self, threads: int):
        super().__init__()
        self._executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-req-{i}") for i in range(threads)]
        self._load = [0] * threads
        self._free = asyncio.Semaphore(threads)

    def load_middleware(self, is_async=False):
        """The chain is synchronous whatever ASGIHandler asks for (built once, at start)."""
        super().load_middleware(is_async=False)

    def _respond_in_thread(self, scope, body_file):
        """Everything synchronous about one request, in its pooled thread: `ASGIHandler.handle`'s
        steps in the same order, without the event loop between them."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # the body is in memory; fires request_finished in this thread
        return response

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            set_script_prefix(get_script_prefix(scope))
            response = await sync_to_async(self._respond_in_thread, thread_sensitive=True)(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

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
