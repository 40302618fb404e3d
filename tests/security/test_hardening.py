"""Secure headers, CSRF on session writes, rate limits, secrets, the audit trail, personal data.

Everything over the shared security world (tests/security/world.py), each test in a savepoint.
"""
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from gridops.core.models import AuditEntry

from .world import ID_NUMBER, PHONE, ROLES, token_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(shared_world, db):
    return shared_world


def as_role(world, role, *, session=False):
    client = APIClient(enforce_csrf_checks=session)
    if role == "anonymous":
        return client
    if session:
        client.force_login(world["users"][role])
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world['users'][role])}")
    return client


# --- headers --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/console/", "/ledger/", "/api/v1/zones", "/open311/v2/discovery.json"])
def test_secure_headers_on_pages_and_apis(world, url):
    response = as_role(world, "district_operator").get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


# --- CSRF -----------------------------------------------------------------------------------

def test_session_writes_need_the_csrf_token(world):
    client = as_role(world, "district_operator", session=True)
    client.cookies["django_language"] = "en"  # error messages follow the reader's language (issue 12)
    url = reverse("incident-transition", args=[world["incident"].pk])
    body = {"status": "registered", "version": world["incident"].version}
    refused = client.post(url, body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    client.get(reverse("console"))  # the page sets the CSRF cookie
    accepted = client.post(url, body, format="json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert accepted.status_code == 200, accepted.content


def test_session_page_forms_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["citizen"])
    assert client.post(reverse("logout")).status_code == 403
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 403


def test_token_clients_are_exempt_from_csrf(world):
    client = as_role(world, "district_operator")
    response = client.post(reverse("incident-transition", args=[world["incident"].pk]),
                           {"status": "registered", "version": world["incident"].version}, format="json")
    assert response.status_code == 200, response.content


# --- rate limits ----------------------------------------------------------------------------

@pytest.fixture
def tight_limits(settings):
    # Per hour, not per minute: four calls straddling a window's edge (a slow machine, or chance)
    # would each fall in a fresh window and never reach the limit.
    settings.GRIDOPS_RATE_LIMITS = {scope: "3/h" for scope in ("login", "open311.post", "ledger.verify", "ledger.vendor_page")}
    cache.clear()  # this run's Redis db (CACHE_PREFIX/REDIS_URL are per developer)
    yield
    cache.clear()


def _fourth(call):
    responses = [call() for _ in range(4)]
    assert all(r.status_code != 429 for r in responses[:3])
    assert responses[3].status_code == 429 and int(responses[3]["Retry-After"]) > 0
    return responses[3]


def test_open311_post_is_rate_limited_in_open311_format(world, tight_limits):
    url = reverse("open311-requests", args=["json"])
    last = _fourth(lambda: Client().post(url, {"service_code": "0101001", "lat": 23.005, "long": 113.01}))
    assert last.json()[0]["code"] == 429


@pytest.mark.parametrize("name,args", [("ledger-api:entry", "entry"), ("ledger-api:export", None),
                                       ("ledger-api:vendor", "vendor"), ("ledger:vendor-page", "vendor")])
def test_public_verification_is_rate_limited(world, tight_limits, name, args):
    arg = {"entry": [world["notary_entry"].index], "vendor": [world["vendor"].code], None: []}[args]
    _fourth(lambda: Client().get(reverse(name, args=arg)))


@pytest.mark.parametrize("name", ["login", "auth-token"])
def test_login_is_rate_limited(world, tight_limits, name):
    _fourth(lambda: Client().post(reverse(name), {"username": "citizen", "password": "wrong"}))


# --- secrets only from the environment ------------------------------------------------------

def _check(env_overrides: dict) -> subprocess.CompletedProcess:
    dropped = ("SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DEBUG", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update({"DJANGO_SETTINGS_MODULE": "gridops.settings.production", **env_overrides})
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("overrides,complaint", [
    ({"SECRET_KEY": "dev-only-insecure-key-change-me"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"SECRET_KEY": secrets.token_urlsafe(50)}, "DATABASE_URL"),  # no DATABASE_URL: no default database
])
def test_production_refuses_defaults(overrides, complaint):
    if complaint == "SECRET_KEY":
        overrides = {**overrides, "DATABASE_URL": os.environ.get("DATABASE_URL", "postgis://x@127.0.0.1/x")}
    result = _check(overrides)
    assert result.returncode != 0
    assert complaint in result.stderr


# --- audit trail ----------------------------------------------------------------------------

def test_privileged_actions_are_audited(world, settings):
    from gridops.approvals.services import cases as approvals_cases
    from gridops.education.services import plan_publish
    from gridops.incidents.services.lifecycle import incident_transition
    from gridops.ledger.services.log import sign_head
    from django.contrib.auth.models import Permission

    users = world["users"]
    incident = world["incident"]
    incident_transition(user=users["district_operator"], incident_id=incident.pk, status="void",
                        version=incident.version, note="重复")
    planner = users["planner"]
    planner.user_permissions.add(Permission.objects.get(codename="publish_catchmentplan"))
    planner = type(planner).objects.get(pk=planner.pk)
    plan_publish(user=planner, plan=world["plan"])
    approvals_cases.case_transition(actor=users["reviewer"], case=world["case"], action="refuse", note="材料不全")
    head = sign_head()
    as_role(world, "justice_officer").get(reverse("ledger-api:export"))
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"incidents.void", "education.publish", "approvals.refuse", "ledger.sign_head", "ledger.export"} <= actions
    assert AuditEntry.objects.get(action="ledger.sign_head", target_id=str(head.pk)).detail["key_id"] == head.key_id
    for entry in AuditEntry.objects.all():
        assert ID_NUMBER not in str(entry.detail) and PHONE not in str(entry.detail)


# --- personal data --------------------------------------------------------------------------

PERSONAL = [ID_NUMBER, PHONE, "王某某"]


def test_personal_data_never_in_logs(world, caplog):
    caplog.set_level(logging.DEBUG)
    officer = as_role(world, "justice_officer")
    officer.post(reverse("ledger-api:identity-attest"), {"user_id": world["users"]["citizen"].pk, "id_number": ID_NUMBER},
                 format="json")
    officer.post(reverse("ledger-api:identity-attest"), {"user_id": "x", "id_number": ID_NUMBER}, format="json")
    as_role(world, "citizen").post(reverse("ledger-api:identity-me"), {"id_number": ID_NUMBER}, format="json")
    officer.post(reverse("ledger-api:checkins"), {"case_no": "SQ-1", "lon": 113.01, "lat": 23.005}, format="json")
    officer.post(reverse("ledger-api:checkins"), {"case_no": "SQ-1", "lon": "x", "lat": 23.005}, format="json")
    Client().post(reverse("approvals-hall-tickets", args=[world["hall"].code]),
                  {"item": world["item"].code, "id_number": ID_NUMBER + "0", "name": "李四", "phone": PHONE})
    text = "\n".join(record.getMessage() + str(record.__dict__.get("args")) for record in caplog.records)
    for value in PERSONAL + [world["applicant"].id_number]:
        assert value not in text


# Who may see applicants' and supervised persons' details (case detail / persons / check-ins).
SEES_APPLICANT = {"citizen", "district_operator", "reviewer"}   # the applicant, and staff on the case
SEES_SUPERVISION = {"justice_officer"}


def test_personal_data_only_in_responses_to_roles_that_may_see_it(world):
    applicant_id = world["applicant"].id_number
    for role in ROLES:
        client = as_role(world, role)
        bodies = [client.get(url).content.decode() for url in (
            reverse("approvals-case", args=[world["case"].number]), reverse("approvals-cases"),
            reverse("ledger-api:persons"), reverse("ledger-api:checkins"), reverse("ledger-api:export"),
            reverse("ledger-api:entry", args=[world["checkin"].entry.index]), reverse("incident-list"),
            reverse("incident-detail", args=[world["incident"].pk]), reverse("ledger-api:identity-me"),
            reverse("open311-requests", args=["json"]), reverse("worker-positions-latest"))]
        text = "\n".join(bodies)
        assert (PHONE in text) <= (role in SEES_APPLICANT), role  # phones: the applicant and the case's staff only
        assert ID_NUMBER not in text, role      # identity numbers are committed, never echoed
        assert (applicant_id in text or "张三" in text) <= (role in SEES_APPLICANT), role
        assert ("王某某" in text) <= (role in SEES_SUPERVISION), role
