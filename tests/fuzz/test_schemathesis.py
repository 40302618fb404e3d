"""Schemathesis against the published OpenAPI schema (/api/schema/), in process through WSGI.

Every operation is called with generated data (valid and invalid, every phase: examples, coverage,
fuzzing) as a district operator (token header) over a demo-like world. A 5xx anywhere fails the
test. The conformance checks (documented status codes and content types, response schemas) are
run too and their findings counted in test-artifacts/schemathesis.json: the schema does not list
every 4xx each view can answer, so those are figures to improve, not failures.
"""
import json
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import ignored_auth


from gridops.wsgi import application
from tests.fuzzing import examples
from tests.security.world import token_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FIGURES: Counter = Counter()
CONFORMANCE: Counter = Counter()
MAX_EXAMPLES = examples(15)

# Loaded at collection (no database needed): one pytest item per operation.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(scope="module", autouse=True)
def figures():
    yield
    ARTIFACTS.mkdir(exist_ok=True)
    report = {"max_examples": MAX_EXAMPLES, **FIGURES, "conformance_findings": dict(CONFORMANCE)}
    (ARTIFACTS / "schemathesis.json").write_text(json.dumps(report, indent=1, sort_keys=True))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case, shared_world, db):
    token = token_for(shared_world["users"]["district_operator"])
    headers = {"Authorization": f"Token {token}"}
    FIGURES["cases"] += 1
    FIGURES[f"operations_seen:{case.operation.label}"] = 1
    response = case.call(headers=headers)
    FIGURES[f"status_{response.status_code // 100}xx"] += 1
    try:
        # Our token is deliberately valid, so the "invalid auth accepted" probe does not apply.
        case.validate_response(response, headers=headers, excluded_checks=[not_a_server_error, ignored_auth])
    except FailureGroup as group:
        for failure in group.exceptions:
            CONFORMANCE[f"{case.operation.label}: {failure.title}"] += 1
    case.validate_response(response, headers=headers, checks=[not_a_server_error])


# Writes as the other roles (who pass permission checks the operator does not: a grid worker's
# pings, a justice officer's supervision, a clerk's counter): random data without the coverage phase.
writes = schemathesis.openapi.from_wsgi("/api/schema/", application).include(method=["POST", "PATCH", "PUT", "DELETE"])
writes.config.phases.update(phases=["examples", "fuzzing"])
WRITER_ROLES = ["grid_worker", "justice_officer", "counter_clerk", "planner", "citizen", "reviewer", "town_operator"]


@writes.parametrize()
@pytest.mark.parametrize("role", WRITER_ROLES)
@settings(max_examples=examples(6), deadline=None, suppress_health_check=list(HealthCheck))
def test_writes_by_every_role_never_fail(case, role, shared_world, db):
    headers = {"Authorization": f"Token {token_for(shared_world['users'][role])}"}
    FIGURES["cases"] += 1
    response = case.call(headers=headers)
    FIGURES[f"status_{response.status_code // 100}xx"] += 1
    case.validate_response(response, headers=headers, checks=[not_a_server_error])
