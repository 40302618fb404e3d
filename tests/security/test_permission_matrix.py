"""The permission matrix of the whole site: every route of every app × method × role.

Built from the URL resolver: a route (or a method of a class-based view) without a row here fails
`test_every_route_has_a_row`, so a new endpoint cannot ship without saying who may use it.
Writes are sent with an empty JSON body, so a role that may act gets 400 (the body is checked
after the permission), and one that may not gets 401/403/404 — the table reads as who may do what.
The tables are literal (written from the rules, checked against the code, not computed by it).
Admin routes: none of these roles is staff, so every one redirects to the admin login (302).
"""
import os

import pytest
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from .urls import ADMIN, all_routes, implemented_methods, url_args
from .world import ROLES

pytestmark = pytest.mark.django_db

R = ROLES  # anonymous, citizen, grid_worker, department_handler, town_operator, district_operator,
#            planner, counter_clerk, reviewer, justice_officer

# The realtime app's old paths of folded endpoints: a read is redirected, a write refused.
MOVED = {'GET': (301, 301, 301, 301, 301, 301, 301, 301, 301, 301), 'POST': (405,) * 10, 'PUT': (405,) * 10, 'PATCH': (405,) * 10, 'DELETE': (405,) * 10}

# url name → {method: expected status per role, in ROLES order}
MATRIX: dict[str, dict[str, tuple[int, ...]]] = {
    'admin-login': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'api-docs': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-apply': {'GET': (302, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (302, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-case': {'GET': (401, 200, 404, 404, 404, 200, 404, 404, 200, 404)},
    'approvals-case-rating': {'POST': (401, 400, 404, 404, 404, 400, 404, 404, 400, 404)},
    'approvals-case-transition': {'POST': (401, 400, 404, 404, 404, 400, 404, 404, 400, 404)},
    'approvals-desk': {'GET': (302, 403, 403, 403, 403, 403, 403, 200, 200, 403), 'POST': (405, 405, 405, 405, 405, 405, 405, 405, 405, 405)},
    'approvals-cases': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'approvals-counter-call': {'POST': (401, 403, 403, 403, 403, 403, 403, 200, 403, 403)},
    'approvals-hall-bookings': {'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'approvals-hall-queue': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-hall-screen': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-hall-tickets': {'POST': (400, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'approvals-halls': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-item': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-items': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-identity-verifications': {'POST': (401, 403, 403, 403, 403, 403, 403, 400, 403, 403)},
    'approvals-kpis': {'GET': (401, 403, 403, 403, 400, 400, 403, 400, 400, 403)},
    'approvals-map': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-offered-documents': {'GET': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'approvals-terminals': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'approvals-ticket-check-in': {'POST': (401, 409, 403, 403, 403, 403, 403, 409, 403, 403)},
    'approvals-ticket-finish': {'POST': (401, 403, 403, 403, 403, 403, 403, 409, 403, 403)},
    'approvals-ticket-no-show': {'POST': (401, 403, 403, 403, 403, 403, 403, 409, 403, 403)},
    'auth-token': {'POST': (400, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'catalogue-categories': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'catalogue-departments': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'catalogue-event-types': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'command-centre-list': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'console': {'GET': (302, 403, 403, 200, 200, 200, 403, 403, 403, 200)},
    'education-apply': {'POST': (401, 403, 403, 403, 403, 403, 200, 403, 403, 403)},
    'education-assign': {'POST': (401, 403, 403, 403, 403, 403, 400, 403, 403, 403)},
    'education-balance': {'GET': (401, 403, 403, 403, 403, 403, 200, 403, 403, 403)},
    'education-catchments': {'GET': (401, 403, 403, 403, 403, 403, 200, 403, 403, 403)},
    'education-export': {'GET': (401, 403, 403, 403, 403, 403, 404, 403, 403, 403)},
    'education-grids': {'GET': (401, 403, 403, 403, 403, 403, 200, 403, 403, 403)},
    'education-import-catchments': {'POST': (401, 403, 403, 403, 403, 403, 415, 403, 403, 403)},
    'education-import-schools': {'POST': (401, 403, 403, 403, 403, 403, 415, 403, 403, 403)},
    'education-layer': {'GET': (401, 403, 403, 403, 200, 200, 200, 403, 403, 403)},
    'education-plan': {'DELETE': (401, 403, 403, 403, 403, 403, 204, 403, 403, 403), 'GET': (401, 403, 403, 403, 403, 403, 404, 403, 403, 403)},
    'education-planner': {'GET': (302, 403, 403, 403, 403, 403, 200, 403, 403, 403)},
    'education-plans': {'GET': (401, 403, 403, 403, 403, 403, 200, 403, 403, 403), 'POST': (401, 403, 403, 403, 403, 403, 400, 403, 403, 403)},
    'education-publish': {'POST': (401, 403, 403, 403, 403, 403, 403, 403, 403, 403)},
    'education-school': {'GET': (401, 403, 403, 403, 403, 403, 404, 403, 403, 403)},
    'education-schools': {'GET': (401, 403, 403, 403, 403, 403, 404, 403, 403, 403)},
    'education-serve': {'GET': (401, 403, 403, 403, 403, 403, 400, 403, 403, 403)},
    'education-unassign': {'POST': (401, 403, 403, 403, 403, 403, 400, 403, 403, 403)},
    'education-whatif': {'POST': (401, 403, 403, 403, 403, 403, 200, 403, 403, 403)},
    # Foresight (issue 17): analysis for command centres; warnings listed by everyone's own grants
    'foresight-acknowledge': {'POST': (401, 403, 403, 403, 404, 404, 403, 403, 403, 403)},
    'foresight-emerging': {'GET': (401, 403, 403, 403, 200, 200, 403, 403, 403, 403)},
    'foresight-forecast': {'GET': (401, 403, 403, 403, 200, 200, 403, 403, 403, 403)},
    'foresight-heat': {'GET': (401, 403, 403, 403, 200, 200, 403, 403, 403, 403)},
    'foresight-hotspots': {'GET': (401, 403, 403, 403, 200, 200, 403, 403, 403, 403)},
    'foresight-warnings': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    # Sensors (issue 17): readings need a device key (no user session speaks for a device)
    'sensor-devices': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'sensor-readings': {'POST': (401, 401, 401, 401, 401, 401, 401, 401, 401, 401)},
    # Emergencies (issue 17): command-centre operators declare and command; a task is its worker's
    'emergency-api:close': {'POST': (401, 403, 403, 403, 404, 404, 403, 403, 403, 403)},
    'emergency-api:detail': {'GET': (401, 404, 404, 404, 404, 404, 404, 404, 404, 404)},
    'emergency-api:escalate': {'POST': (401, 403, 403, 403, 404, 404, 403, 403, 403, 403)},
    'emergency-api:kpis': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'emergency-api:list': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200),
                           'POST': (401, 403, 403, 403, 400, 400, 403, 403, 403, 403)},
    'emergency-api:my-tasks': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'emergency-api:nearest-workers': {'GET': (401, 403, 403, 403, 400, 400, 403, 403, 403, 403)},
    'emergency-api:shelter-occupancy': {'POST': (401, 403, 403, 403, 404, 404, 403, 403, 403, 403)},
    'emergency-api:shelters': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'emergency-api:task': {'POST': (401, 404, 404, 404, 404, 404, 404, 404, 404, 404)},
    'healthz': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'incident-detail': {'GET': (401, 200, 200, 404, 200, 200, 404, 404, 404, 404)},
    'incident-duplicates': {'GET': (401, 200, 200, 404, 200, 200, 404, 404, 404, 404)},
    'incident-export': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'incident-kpis': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'incident-list': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'incident-meta': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'incident-merge': {'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'incident-overdue': {'GET': (401, 403, 403, 200, 200, 200, 403, 403, 403, 403)},
    'incident-photos': {'POST': (401, 415, 415, 415, 415, 415, 415, 415, 415, 415)},
    'incident-transition': {'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'ledger-api:checkins': {'GET': (401, 403, 403, 403, 403, 403, 403, 403, 403, 200), 'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'ledger-api:consistency': {'GET': (400, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'ledger-api:entry': {'GET': (404, 404, 404, 404, 404, 404, 404, 404, 404, 200)},
    'ledger-api:export': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ledger-api:head-latest': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ledger-api:heads': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    # Only attesters reach the body's checks (the role is asked first: no oracle of account ids).
    'ledger-api:identity-attest': {'POST': (401, 403, 403, 403, 403, 400, 403, 400, 403, 403)},
    'ledger-api:identity-me': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ledger-api:notarisations': {'GET': (400, 400, 400, 400, 400, 400, 400, 400, 400, 400), 'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'ledger-api:persons': {'GET': (401, 403, 403, 403, 403, 403, 403, 403, 403, 200), 'POST': (401, 403, 403, 403, 403, 403, 403, 403, 403, 400)},
    'ledger-api:public-key': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ledger-api:vendor': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'PATCH': (401, 403, 403, 200, 200, 200, 403, 403, 403, 403)},
    'ledger-api:vendor-qr': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ledger-api:vendors': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'ledger:corrections': {'GET': (302, 403, 403, 403, 403, 403, 403, 403, 403, 200)},
    'ledger:home': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (405, 405, 405, 405, 405, 405, 405, 405, 405, 405)},
    'ledger:vendor-page': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'locate': {'GET': (400, 400, 400, 400, 400, 400, 400, 400, 400, 400), 'POST': (400, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'login': {'GET': (200, 302, 302, 302, 302, 302, 302, 302, 302, 302), 'POST': (200, 302, 302, 302, 302, 302, 302, 302, 302, 302),
              'PUT': (200, 302, 302, 302, 302, 302, 302, 302, 302, 302)},
    'logout': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (302, 302, 302, 302, 302, 302, 302, 302, 302, 302)},
    'media': {'GET': (404, 404, 404, 404, 404, 404, 404, 404, 404, 404), 'POST': (405, 405, 405, 405, 405, 405, 405, 405, 405, 405)},
    'me': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'open311-discovery': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'open311-request': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    # POST without api_key: GeoReport v2's 403 for a missing or invalid key (docs/open311.md)
    'open311-requests': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (403, 403, 403, 403, 403, 403, 403, 403, 403, 403)},
    'open311-service': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'open311-services': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'readyz': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'realtime-centres': MOVED,  # 301 to the kept path (issue 15), for one release
    'realtime-kpis': {'GET': (403, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'realtime-me': MOVED,  # 301 to the kept path (issue 15), for one release
    'realtime-positions': MOVED,  # 301 to the kept path (issue 15), for one release
    'schema': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'screen': {'GET': (302, 403, 403, 403, 200, 200, 403, 403, 403, 403)},  # the town operator: their town's
    'screen-summary': {'GET': (401, 403, 403, 403, 200, 200, 403, 403, 403, 403)},
    'screen-zone': {'GET': (302, 403, 403, 403, 200, 200, 403, 403, 403, 403)},
    'set_language': {'POST': (302, 302, 302, 302, 302, 302, 302, 302, 302, 302)},
    # OGC API (gridops/ogc): descriptions public; incidents' features through incidents_visible_to
    'ogc-item': {'GET': (401, 200, 200, 404, 200, 200, 404, 404, 404, 404)},
    'ogc-items': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200), 'POST': (405, 405, 405, 405, 405, 405, 405, 405, 405, 405)},
    'ogc-collection': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-collections': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-conformance': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-landing': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-openapi': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-queryables': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-tile-matrix-set': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-tile-matrix-sets': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-tileset': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ogc-tilesets': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'tablet': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'tablet-manifest': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'tablet-sw': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'tile': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'worker-positions': {'POST': (401, 400, 400, 400, 400, 400, 400, 400, 400, 400)},
    'worker-positions-latest': {'GET': (401, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'ws-events-path': {'GET': (302, 302, 302, 302, 302, 302, 302, 302, 302, 302)},
    'zone-children': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'zone-detail': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'zone-generations': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},  # public, as the zones
    'zone-list': {'GET': (400, 400, 400, 400, 400, 400, 400, 400, 400, 400)},  # public; `level` is required
    'javascript-catalog': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
    'zone-map': {'GET': (200, 200, 200, 200, 200, 200, 200, 200, 200, 200)},
}


class Unlimited(dict):
    """Every rate-limit scope at a rate this test never reaches (limits have their own tests)."""

    def get(self, key, default=None):
        return "100000/m"


def _client(world, role) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


@pytest.fixture
def world(shared_world, db):
    return shared_world


def test_every_route_has_a_row():
    missing = []
    for name, callback in all_routes():
        if name.startswith(ADMIN + ":"):
            continue
        if name not in MATRIX:
            missing.append(name)
            continue
        for method in implemented_methods(callback) - set(MATRIX[name]):
            if name != "ws-events-path" and not name.startswith("<"):
                missing.append(f"{name} {method}")
    assert not missing, f"routes without a row in the permission matrix: {missing}"


def _call(client, method, url):
    if method in ("POST", "PUT", "PATCH"):
        return getattr(client, method.lower())(url, {}, format="json")
    return getattr(client, method.lower())(url)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(world, name):
    args = url_args(world).get(name, [])
    url = reverse(name, args=args)
    failures = []
    observed = {}
    for method, expected in MATRIX[name].items():
        got = []
        for role in ROLES:
            with override_settings(GRIDOPS_RATE_LIMITS=Unlimited()):
                got.append(_call(_client(world, role), method, url).status_code)
        observed[method] = tuple(got)
        if tuple(got) != expected:
            failures.append((method, dict(zip(ROLES, expected)), dict(zip(ROLES, got))))
    if os.environ.get("MATRIX_OBSERVE"):
        print(f"MATRIX {name!r}: {observed!r},")
        return
    assert not failures, failures


# The screen account (指挥大屏, district-wide) for every route of the matrix: it sees what the
# district operator sees on pages and read APIs, and every write is refused (403) except signing
# in or out, the language and a token, whatever the route (ReadOnlyRolesMiddleware).
SCREEN_MOVED = {'GET': 301, 'POST': 403, 'PUT': 403, 'PATCH': 403, 'DELETE': 403}  # writes: the read-only middleware
SCREEN: dict[str, dict[str, int]] = {
    'admin-login': {'GET': 200, 'POST': 200},
    'api-docs': {'GET': 200},
    'approvals-apply': {'GET': 200, 'POST': 403},
    'approvals-case': {'GET': 404},
    'approvals-case-rating': {'POST': 403},
    'approvals-case-transition': {'POST': 403},
    'approvals-cases': {'GET': 200, 'POST': 403},
    'approvals-counter-call': {'POST': 403},
    'approvals-desk': {'GET': 403, 'POST': 403},
    'approvals-hall-bookings': {'POST': 403},
    'approvals-hall-queue': {'GET': 200},
    'approvals-hall-screen': {'GET': 200},
    'approvals-hall-tickets': {'POST': 403},
    'approvals-halls': {'GET': 200},
    'approvals-identity-verifications': {'POST': 403},
    'approvals-item': {'GET': 200},
    'approvals-items': {'GET': 200},
    'approvals-kpis': {'GET': 400},
    'approvals-map': {'GET': 200},
    'approvals-offered-documents': {'GET': 400},
    'approvals-terminals': {'GET': 200},
    'approvals-ticket-check-in': {'POST': 403},
    'approvals-ticket-finish': {'POST': 403},
    'approvals-ticket-no-show': {'POST': 403},
    'auth-token': {'POST': 400},
    'catalogue-categories': {'GET': 200},
    'catalogue-departments': {'GET': 200},
    'catalogue-event-types': {'GET': 200},
    'command-centre-list': {'GET': 200},
    'console': {'GET': 403},
    'education-apply': {'POST': 403},
    'education-assign': {'POST': 403},
    'education-balance': {'GET': 403},
    'education-catchments': {'GET': 403},
    'education-export': {'GET': 403},
    'education-grids': {'GET': 403},
    'education-import-catchments': {'POST': 403},
    'education-import-schools': {'POST': 403},
    'education-layer': {'GET': 403},
    'education-plan': {'DELETE': 403, 'GET': 403},
    'education-planner': {'GET': 403},
    'education-plans': {'GET': 403, 'POST': 403},
    'education-publish': {'POST': 403},
    'education-school': {'GET': 403},
    'education-schools': {'GET': 403},
    'education-serve': {'GET': 403},
    'education-unassign': {'POST': 403},
    'education-whatif': {'POST': 403},
    'healthz': {'GET': 200},
    'incident-detail': {'GET': 200},
    'incident-duplicates': {'GET': 200},
    'incident-export': {'GET': 200},
    'incident-kpis': {'GET': 200},
    'incident-list': {'GET': 200, 'POST': 403},
    'incident-merge': {'POST': 403},
    'incident-meta': {'GET': 200},
    'incident-overdue': {'GET': 403},
    'incident-photos': {'POST': 403},
    'incident-transition': {'POST': 403},
    'ledger-api:checkins': {'GET': 403, 'POST': 403},
    'ledger-api:consistency': {'GET': 400},
    'ledger-api:entry': {'GET': 404},
    'ledger-api:export': {'GET': 200},
    'ledger-api:head-latest': {'GET': 200},
    'ledger-api:heads': {'GET': 200},
    'ledger-api:identity-attest': {'POST': 403},
    'ledger-api:identity-me': {'GET': 200, 'POST': 403},
    'ledger-api:notarisations': {'GET': 400, 'POST': 403},
    'ledger-api:persons': {'GET': 403, 'POST': 403},
    'ledger-api:public-key': {'GET': 200},
    'ledger-api:vendor': {'GET': 200, 'PATCH': 403},
    'ledger-api:vendor-qr': {'GET': 200},
    'ledger-api:vendors': {'GET': 200, 'POST': 403},
    'ledger:corrections': {'GET': 403},
    'ledger:home': {'GET': 200, 'POST': 403},
    'ledger:vendor-page': {'GET': 200},
    'locate': {'GET': 400, 'POST': 403},
    'login': {'GET': 302, 'POST': 302, 'PUT': 302},
    'logout': {'GET': 200, 'POST': 302},
    'media': {'GET': 404, 'POST': 403},
    'me': {'GET': 200},
    'open311-discovery': {'GET': 200},
    'open311-request': {'GET': 200},
    'open311-requests': {'GET': 200, 'POST': 403},
    'open311-service': {'GET': 200},
    'open311-services': {'GET': 200},
    'foresight-acknowledge': {'POST': 403},
    'foresight-emerging': {'GET': 200},
    'foresight-forecast': {'GET': 200},
    'foresight-heat': {'GET': 200},
    'foresight-hotspots': {'GET': 200},
    'foresight-warnings': {'GET': 200},
    'sensor-devices': {'GET': 200},
    'sensor-readings': {'POST': 403},
    'emergency-api:close': {'POST': 403},
    'emergency-api:detail': {'GET': 404},
    'emergency-api:escalate': {'POST': 403},
    'emergency-api:kpis': {'GET': 200},
    'emergency-api:list': {'GET': 200, 'POST': 403},
    'emergency-api:my-tasks': {'GET': 200},
    'emergency-api:nearest-workers': {'GET': 403},
    'emergency-api:shelter-occupancy': {'POST': 403},
    'emergency-api:shelters': {'GET': 200},
    'emergency-api:task': {'POST': 403},
    'readyz': {'GET': 200},
    'realtime-centres': SCREEN_MOVED,
    'realtime-kpis': {'GET': 200},
    'realtime-me': SCREEN_MOVED,
    'realtime-positions': SCREEN_MOVED,
    'schema': {'GET': 200},
    'screen': {'GET': 200},
    'screen-summary': {'GET': 200},
    'screen-zone': {'GET': 200},
    'set_language': {'POST': 302},
    'ogc-item': {'GET': 200},
    'ogc-items': {'GET': 200, 'POST': 403},
    'ogc-collection': {'GET': 200},
    'ogc-collections': {'GET': 200},
    'ogc-conformance': {'GET': 200},
    'ogc-landing': {'GET': 200},
    'ogc-openapi': {'GET': 200},
    'ogc-queryables': {'GET': 200},
    'ogc-tile-matrix-set': {'GET': 200},
    'ogc-tile-matrix-sets': {'GET': 200},
    'ogc-tileset': {'GET': 200},
    'ogc-tilesets': {'GET': 200},
    'tablet': {'GET': 200},
    'tablet-manifest': {'GET': 200},
    'tablet-sw': {'GET': 200},
    'tile': {'GET': 200},
    'worker-positions': {'POST': 403},
    'worker-positions-latest': {'GET': 200},
    'ws-events-path': {'GET': 302},
    'zone-children': {'GET': 200},
    'zone-detail': {'GET': 200},
    'zone-generations': {'GET': 200},
    'zone-list': {'GET': 400},
    'javascript-catalog': {'GET': 200},
    'zone-map': {'GET': 200},
}
READS = ("GET", "HEAD", "OPTIONS")
OPEN_WRITES = {"login", "admin-login", "logout", "set_language", "auth-token"}


def test_screen_has_a_row_for_every_route():
    """A route added to MATRIX says what the screen account gets too (MATRIX_OBSERVE=1 prints it)."""
    missing = sorted(n for n in MATRIX if n not in SCREEN or set(SCREEN[n]) != set(MATRIX[n]))
    assert not missing and set(SCREEN) <= set(MATRIX), f"SCREEN rows missing or stale: {missing or set(SCREEN) - set(MATRIX)}"


def test_screen_writes_nothing():
    for name, methods in SCREEN.items():
        for method, status in methods.items():
            if method not in READS and name not in OPEN_WRITES:
                assert status in (403, 405), (name, method, status)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_screen_column(world, name):
    url = reverse(name, args=url_args(world).get(name, []))
    with override_settings(GRIDOPS_RATE_LIMITS=Unlimited()):
        observed = {method: _call(_client(world, "screen"), method, url).status_code for method in MATRIX[name]}
    if os.environ.get("MATRIX_OBSERVE"):
        print(f"SCREEN {name!r}: {observed!r},")
        return
    assert observed == SCREEN.get(name), (name, observed)
