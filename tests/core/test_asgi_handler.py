"""Under ASGI, consecutive requests reuse a long-lived thread and its database connection."""
import asyncio

import pytest
from channels.testing import HttpCommunicator
from django.core.signals import request_finished
from django.db import connection

from gridops.asgi import django_asgi_app


async def _until(predicate, timeout=5.0):
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.mark.django_db(transaction=True)
async def test_requests_reuse_their_database_connection(tiny_district):
    seen = []

    def record(**kwargs):
        seen.append(connection.connection)  # the raw psycopg2 connection of the request's thread

    request_finished.connect(record)
    try:
        for count in range(1, 4):
            communicator = HttpCommunicator(django_asgi_app, "GET", "/api/v1/locate?lon=113.01&lat=23.005",
                                            headers=[(b"host", b"testserver")])
            response = await communicator.get_response(timeout=15)
            assert response["status"] == 200
            await _until(lambda: len(seen) == count)  # request_finished comes after the body
    finally:
        request_finished.disconnect(record)
    assert seen[0] is not None
    assert seen[0] is seen[1] is seen[2]


@pytest.mark.django_db(transaction=True)
async def test_a_request_never_hands_its_view_back_to_the_event_loop(tiny_district, monkeypatch):
    """Middleware and view run as one synchronous chain in the request's pooled thread. Stock ASGI
    adapted the chain at its innermost middleware: the thread handed the view to the event loop
    (`async_to_sync`), which handed it back; under load those waits were 31 % of the request
    threads' time (issue 13)."""
    from asgiref import sync

    crossings = []
    original = sync.AsyncToSync.__call__

    def counted(self, *args, **kwargs):
        crossings.append(repr(self.awaitable))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sync.AsyncToSync, "__call__", counted)
    for path in ("/api/v1/locate?lon=113.01&lat=23.005", "/healthz", "/no-such-page"):
        communicator = HttpCommunicator(django_asgi_app, "GET", path, headers=[(b"host", b"testserver")])
        response = await communicator.get_response(timeout=15)
        assert response["status"] in (200, 404)
    assert crossings == []


@pytest.mark.django_db(transaction=True)
async def test_a_request_crosses_from_the_event_loop_to_its_thread_once(tiny_district, monkeypatch):
    """`request_started`, the chain and `request_finished` run in one crossing to the request's
    pooled thread; stock ASGI crossed three times (the signal, the chain, `response.close()`),
    each a submission, a thread wake-up and a wait for the busy event loop again."""
    import threading

    from django.core.signals import request_started

    submissions = []
    for executor in django_asgi_app._executors:
        original = executor.submit
        monkeypatch.setattr(executor, "submit", lambda *a, _original=original, **k: (
            submissions.append(threading.current_thread().name), _original(*a, **k))[1])
    threads = {"started": [], "finished": []}

    def on_started(**kwargs):
        threads["started"].append(threading.current_thread().name)

    def on_finished(**kwargs):
        threads["finished"].append(threading.current_thread().name)

    request_started.connect(on_started)
    request_finished.connect(on_finished)
    try:
        paths = ("/api/v1/locate?lon=113.01&lat=23.005", "/healthz", "/no-such-page")
        for path in paths:
            communicator = HttpCommunicator(django_asgi_app, "GET", path, headers=[(b"host", b"testserver")])
            response = await communicator.get_response(timeout=15)
            assert response["status"] in (200, 404)
    finally:
        request_started.disconnect(on_started)
        request_finished.disconnect(on_finished)
    assert len(submissions) == len(paths)
    assert len(threads["started"]) == len(threads["finished"]) == len(paths)
    for started, finished in zip(threads["started"], threads["finished"]):
        assert started == finished and started.startswith("django-req-")


@pytest.mark.django_db(transaction=True)
async def test_a_streaming_answer_is_closed_after_its_last_chunk(tiny_district, monkeypatch):
    """Only a response whose body is in memory is closed in the request's crossing; a streaming
    one (exports, feeds) is closed once it has been written, so its iterator is not cut short."""
    from django.http import StreamingHttpResponse
    from django.urls import path as url_path

    closed_after = []

    class Answer(StreamingHttpResponse):
        def close(self):
            closed_after.append(sent[:])
            super().close()

    sent = []

    async def chunks():
        for part in (b"one,", b"two,", b"three"):
            sent.append(part)
            yield part

    def view(request):
        return Answer(chunks(), content_type="text/plain")

    urls = type("urls", (), {"urlpatterns": [url_path("stream", view)]})
    monkeypatch.setattr("django.conf.settings.ROOT_URLCONF", urls, raising=False)
    from django.urls import clear_url_caches

    clear_url_caches()
    messages, finished, requested = [], asyncio.Event(), []

    async def receive():
        if not requested:
            requested.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # no disconnect: the client stays
        return {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/stream", "raw_path": b"/stream", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    try:
        await asyncio.wait_for(django_asgi_app(scope, receive, send), 15)
    finally:
        finished.set()
        clear_url_caches()
    assert messages[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b"one,two,three"
    assert closed_after == [[b"one,", b"two,", b"three"]]
