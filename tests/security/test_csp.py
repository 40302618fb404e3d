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
from django.urls import reverse

from tests.security.world import ROLES

pytestmark = pytest.mark.django_db

PAGES = [
    ("zone-map", ()), ("console", ()), ("tablet", ()), ("approvals-map", ()), ("approvals-apply", ()),
    ("approvals-desk", ()), ("approvals-hall-screen", ("H440604101",)), ("ledger:home", ()),
    ("ledger:corrections", ()), ("education-planner", ()), ("login", ()), ("api-docs", ()), ("screen", ()),
]


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


def _vendor_page(world):
    return reverse("ledger:vendor-page", args=[world["vendor"].code])


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
def test_every_page_runs_under_the_policy(shared_world, role):
    client = Client()
    if role != "anonymous":
        client.force_login(shared_world["users"][role])
    urls = [reverse(name, args=args) for name, args in PAGES] + [_vendor_page(shared_world)]
    checked = 0
    for url in urls:
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
    assert checked >= 4  # every role opens at least the map, login, the API docs and a vendor page
