"""Shared browser fixtures: a real uvicorn server on the pytest-django test database, and Chromium.

The server runs in a subprocess (like production) and sees only committed data, so tests that
use it need `transactional_db`. It is started once per session on a free port with the test
database's name in DATABASE_URL; `DEBUG=1` lets WhiteNoise serve static files from the finders.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgis://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


QUIET_LOG = ("--log-level", "warning")


class AsgiServer:
    def __init__(self, database_url: str, *, log_args: tuple[str, ...] = QUIET_LOG,
                 extra_env: dict[str, str] | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="gridops.settings.test",
                   DEBUG="1", DB_CONN_MAX_AGE="0", PYTHONUNBUFFERED="1",
                   # Pages must get their events live: the per-process table re-read stays off.
                   GRIDOPS_REALTIME_FALLBACK_POLL_SECONDS="0",
                   # Each test writes its own zones and catalogue (the test process bumps the reference
                   # generation): the server reads the generation on every use instead of trusting it
                   # for a second, so it never answers from the previous test's rows.
                   GRIDOPS_REFERENCE_CHECK_SECONDS="0")
        env.update(extra_env or {})  # a test's own settings for its server
        self.log = open(ARTIFACTS / f"uvicorn-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", *log_args],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited; see {self.log.name}")
            try:
                urllib.request.urlopen(self.url + "/tablet/manifest.webmanifest", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("uvicorn did not answer in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker):
    """The ASGI app (HTTP + websockets) served by uvicorn on the test database."""
    from django.db import connection

    ARTIFACTS.mkdir(exist_ok=True)
    with django_db_blocker.unblock():
        url = _database_url(connection.settings_dict)
    server = AsgiServer(url)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def _predicates_as_functions() -> None:
    """Make `page.wait_for_function` work under the pages' strict CSP (no 'unsafe-eval').

    Playwright re-evaluates an *expression* predicate with eval() on every poll, which the CSP
    refuses; a *function* is evaluated once and then called (microsoft/playwright#36986). So every
    predicate, expression or function, is wrapped in one function that evaluates it on each call
    and calls it when it is itself a function (with the `arg`). Tests keep writing either form.
    """
    from playwright.sync_api import Page

    original = Page.wait_for_function
    if getattr(original, "csp_safe", False):
        return

    def wait_for_function(self, expression: str, **kwargs):
        # A Promise is truthy and Playwright does not await it: such a wait never waited (the
        # tablet's offline tests went offline before the catalogue was stored), so it is refused.
        wrapped = (f"(arg) => {{ const value = ({expression}); "
                   f"const result = typeof value === 'function' ? value(arg) : value; "
                   f"if (result && typeof result.then === 'function') "
                   f"throw new Error('wait_for_function: the predicate returned a Promise, which is not awaited'); "
                   f"return result; }}")
        return original(self, wrapped, **kwargs)

    wait_for_function.csp_safe = True
    Page.wait_for_function = wait_for_function


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    _predicates_as_functions()

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls of the test
    # itself are still synchronous, so Django's async-context guard would refuse them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, asgi_server):
    """Factory of isolated browser contexts on the server (closed after the test).

    Every page's console is watched: a Content-Security-Policy violation (an inline script without
    the response's nonce, an inline handler, a foreign source) fails the test that caused it."""
    contexts = []
    violations: list[str] = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def make(*, user=None, **options):
        options.setdefault("base_url", asgi_server.url)
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**options)
        if user is not None:
            context.add_cookies([{"name": "sessionid", "value": session_key_for(user),
                                  "url": asgi_server.url}])
        context.on("console", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    _wait_for_server_queries_to_end()
    assert not violations, f"CSP violations in the browser console: {violations[:5]}"


def _wait_for_server_queries_to_end(timeout: float = 15.0) -> None:
    """Closing a page does not stop the server's work on a request it already received. The
    test database is flushed right after this fixture; a flush (TRUNCATE) racing such a request
    deadlocked in CI, so wait until no other session on this database is mid-query or
    mid-transaction."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')")
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


def session_key_for(user) -> str:
    """A committed session for `user` (the server process reads it from the database)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False, animations="disabled")  # no half-faded popups
    return path
