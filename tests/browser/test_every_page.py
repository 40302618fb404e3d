"""Issue 12 across the site, in real Chromium: every page, as the role it is for,

- in English shows no Chinese in its interface text (data — names of places, people, schools,
  event types — is marked `translate="no"` and not counted);
- in Chinese shows no English sentences from the server;
- has 0 critical and 0 serious axe-core violations (axe is injected by the test only).
Each page's screenshot goes to test-artifacts/pages/.
"""
import json
import re

import pytest

from tests.browser.pages import VISIBLE_TEXT_JS, open_page, pages
from tests.browser_support import ARTIFACTS, ROOT, screenshot
from tests.security.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

AXE = ROOT / "frontend" / "static" / "vendor" / "axe.min.js"
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
# Two English words in a row (a sentence or a label), outside data: what a Chinese page must not show.
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}[a-z]*(?:[ ,.;:'’-]+[A-Za-z]{2,})+")
ALLOWED_LATIN = {"GridOps", "English", "Leaflet", "OpenStreetMap", "Open311", "Ctrl", "PDF", "JPEG", "PNG", "QR",
                 "Ed25519", "SHA-256", "RFC 6962", "Merkle", "GeoJSON", "API", "km²", "km", "m²"}


@pytest.fixture
def world(settings, tmp_path):
    from django.utils import timezone

    from gridops.incidents.models import Incident, Status

    settings.MEDIA_ROOT = str(tmp_path)
    world = build_world()
    # The worker's tablet shows a task card (status, place, deadline, the allowed moves) to scan.
    Incident.objects.filter(pk=world["incident"].pk).update(
        status=Status.DISPATCHED, registered_at=timezone.now(), dispatched_at=timezone.now())
    return world


def _report(kind: str, found: dict) -> str:
    """Findings per page, written to test-artifacts/pages/<kind>.json ({} when none)."""
    (ARTIFACTS / "pages" / f"{kind}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return "\n".join(f"{page}: {items}" for page, items in found.items())


def _scan(new_context, asgi_server, world, language, **options):
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    for name, path, username in pages(world):
        page = open_page(new_context, asgi_server.url, world, path, username, language=language, **options)
        screenshot(page, f"pages/{name}-{language}")
        yield name, page
        page.context.close()


def test_english_pages_have_no_chinese_interface_text(world, new_context, asgi_server):
    found = {}
    for name, page in _scan(new_context, asgi_server, world, "en"):
        chinese = sorted({text for text in page.evaluate(VISIBLE_TEXT_JS) if CJK.search(text)})
        if chinese:
            found[name] = chinese
    report = _report("english-pages-chinese-text", found)  # written on success too: the artefact says what was found
    assert not found, report


def test_chinese_pages_show_no_english_server_text(world, new_context, asgi_server):
    found = {}
    for name, page in _scan(new_context, asgi_server, world, "zh-hans"):
        english = set()
        for text in page.evaluate(VISIBLE_TEXT_JS):
            for run in ENGLISH_RUN.findall(text):
                if run not in ALLOWED_LATIN and not any(run in allowed for allowed in ALLOWED_LATIN):
                    english.add(run)
        if english:
            found[name] = sorted(english)
    report = _report("chinese-pages-english-text", found)  # written on success too: the artefact says what was found
    assert not found, report


def test_axe_finds_no_critical_or_serious_violations(world, new_context, asgi_server):
    found = {}
    # axe is injected by the test only; the page's Content-Security-Policy would refuse it (rightly).
    for name, page in _scan(new_context, asgi_server, world, "zh-hans", bypass_csp=True):
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
               for v in result["violations"] if v["impact"] in ("critical", "serious")]
        if bad:
            found[name] = bad
    report = _report("axe-violations", found)  # written on success too: the artefact says what was found
    assert not found, report
