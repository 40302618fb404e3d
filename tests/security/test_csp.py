"""Issue 11 finding 10: the Content-Security-Policy restricts scripts (`default-src 'self'`,
`script-src 'self' 'nonce-…'`), and no page relies on what it forbids.

Every page, as every role that may open it: the header names a fresh nonce, every inline
`<script>` carries that nonce (JSON data blocks excepted), and no element has an inline event
handler or a `javascript:` URL. The browser tests (tests/browser_support.py) also fail on any CSP
violation Chromium reports in its console.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.security.urls import all_routes, url_args
from tests.security.world import ROLES

pytestmark = pytest.mark.django_db

# Every route of the site (tests/security/urls.py), but the machine interfaces and files; of the
# rest, whatever answers text/html to a GET is a page and is checked.
SKIP = ("admin:", "<")
NOT_PAGES = ("/api/v1/", "/tiles/", "/open311/", "/media/", "/i18n/", "/tablet/sw.js", "/tablet/manifest")


def _page_urls(world) -> list[str]:
    args = url_args(world)
    urls = []
    for name, _ in all_routes():
        if name.startswith(SKIP) or name in ("logout", "set_language"):
            continue
        try:
            url = reverse(name, args=args.get(name, []))
        except NoReverseMatch:  # a route whose arguments the security world does not name
            raise AssertionError(f"{name}: add its arguments to tests/security/urls.py") from None
        if not url.startswith(NOT_PAGES):
            urls.append(url)
    return urls


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inline_without_nonce: list[str] = []
        self.handlers: list[str] = []
        self.nonces: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.handlers.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            if attrs.get("nonce"):
                self.nonces.add(attrs["nonce"])
            else:
                self.inline_without_nonce.append(self.getpos())


def test_the_policy_restricts_scripts_with_a_fresh_nonce(client):
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")
    policy = first["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{16,}'", directives["script-src"]), directives["script-src"]
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert policy != second["Content-Security-Policy"]  # a nonce per response


def test_the_basemap_is_allowed_as_an_image_source(settings, client):
    settings.GRIDOPS_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    from gridops.core.middleware import policy_template

    assert "img-src 'self' data: blob: https://*.tile.example.org;" in policy_template()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_runs_under_the_policy(shared_world, role, settings):
    settings.GRIDOPS_RATE_LIMITS = {key: "100000/m" for key in settings.GRIDOPS_RATE_LIMITS}
    client = Client()
    if role != "anonymous":
        client.force_login(shared_world["users"][role])
    checked = 0
    for url in _page_urls(shared_world):
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        checked += 1
        nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
        scripts = _Scripts()
        scripts.feed(response.content.decode())
        assert not scripts.inline_without_nonce, (url, "inline <script> without the nonce", scripts.inline_without_nonce)
        assert not scripts.handlers, (url, "inline event handlers", scripts.handlers)
        assert scripts.nonces <= {nonce}, (url, "a stale nonce", scripts.nonces)
    assert checked >= 6, checked  # every role opens at least the maps, login, the API docs, a vendor page
