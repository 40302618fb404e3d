"""Text with HTML/JS is shown escaped: server-rendered pages (autoescape) and the pages' JS.

The world's vendor, applicant, school and incident texts carry `<script>` and an `onerror` image.
"""
import re
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from .world import SCRIPT

STATIC = Path(__file__).resolve().parents[2] / "frontend" / "static"


@pytest.fixture
def world(shared_world, db):
    return shared_world


def test_vendor_page_escapes_the_vendor_name(world):
    html = APIClient().get(reverse("ledger:vendor-page", args=[world["vendor"].code])).content.decode()
    assert "菜档&lt;script&gt;" in html
    assert SCRIPT not in html and "<img src=x" not in html


@pytest.mark.parametrize("name,args,role", [("console", [], "district_operator"), ("education-planner", [], "planner"),
                                            ("approvals-hall-screen", ["hall"], None), ("ledger:corrections", [], "justice_officer"),
                                            ("zone-map", [], None), ("approvals-apply", [], "citizen"),
                                            ("approvals-desk", [], "reviewer")])
def test_pages_never_carry_raw_markup_from_data(world, name, args, role):
    client = APIClient()
    if role:
        client.force_login(world["users"][role])
    response = client.get(reverse(name, args=[world[a].code for a in args]))
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()


# A data value (…name, …message, properties.…) concatenated into HTML without esc() / textContent.
SINK = re.compile(r"(innerHTML\s*=|insertAdjacentHTML\(|bindPopup\(|bindTooltip\()")
# esc() escapes; el() and data() (el() marked translate="no") build DOM nodes with text content.
DOM_BUILDER = re.compile(r"\b(esc|el|data)\(")
DATA = re.compile(r"(\.name\b|\.message\b|properties\.\w+|\.case_no\b|\.description\b)")


def test_front_end_js_never_puts_data_into_html_strings():
    offenders = []
    for path in STATIC.rglob("*.js"):
        if "vendor" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if SINK.search(line) and DATA.search(line) and not DOM_BUILDER.search(line) \
                    and "=>" not in line.split(SINK.search(line).group(0), 1)[1][:12]:
                offenders.append(f"{path.relative_to(STATIC)}:{number}: {line.strip()[:120]}")
    assert not offenders, offenders
