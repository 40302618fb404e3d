"""Issue 11 finding 9: no existence oracles. A user who may not act on an object gets the same
answer whether it exists or not (status and body), so private numbers cannot be enumerated.

Approvals' "is this ID bound?" is in tests/approvals/test_identity.py.
"""
from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.security.world import NZ_POINT, token_for

pytestmark = pytest.mark.django_db

OUTSIDERS = ["grid_worker", "department_handler", "town_operator", "district_operator", "planner",
             "counter_clerk", "reviewer"]


def _client(world, role) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world['users'][role])}")
    return client


@pytest.mark.parametrize("role", OUTSIDERS)
def test_check_in_does_not_tell_a_real_case_number_from_an_unknown_one(shared_world, role):
    client = _client(shared_world, role)
    url = reverse("ledger-api:checkins")
    real = client.post(url, {"case_no": shared_world["person"].case_no, "lon": NZ_POINT[0], "lat": NZ_POINT[1]},
                       format="json")
    unknown = client.post(url, {"case_no": "SQ-NO-SUCH-CASE", "lon": NZ_POINT[0], "lat": NZ_POINT[1]},
                          format="json")
    assert real.status_code == unknown.status_code == 400, (real.content, unknown.content)
    assert real.json()["error"]["field"] == "case_no"
    assert real.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_the_supervised_person_and_the_officer_still_check_in(shared_world):
    url = reverse("ledger-api:checkins")
    for role in ("citizen", "justice_officer"):  # the world's supervised person is the citizen
        body = {"case_no": shared_world["person"].case_no, "lon": NZ_POINT[0], "lat": NZ_POINT[1]}
        response = _client(shared_world, role).post(url, body, format="json")
        assert response.status_code == 201, (role, response.content)


def test_attesting_does_not_tell_which_accounts_exist(shared_world):
    client = _client(shared_world, "citizen")
    url = reverse("ledger-api:identity-attest")
    existing = client.post(url, {"user_id": shared_world["users"]["planner"].pk, "id_number": "11010519491231002X"},
                           format="json")
    missing = client.post(url, {"user_id": 987654321, "id_number": "11010519491231002X"}, format="json")
    assert existing.status_code == missing.status_code == 403
    assert existing.content == missing.content
