"""Nothing a client sends produces a 500, and every answer is one the OpenAPI documents: every operation
of every service's published spec, fuzzed with schema-shaped and malformed requests (schemathesis +
Hypothesis) against the running processes, each answer checked by schemathesis' own conformance checks
(documented status code, content type and body schema). FUZZ_EXAMPLES=200 digs deeper than CI's 15."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from shared.auth import Principal, Role, issue_token

from tests.support.e2e import GROUP, SIGNING_KEY, STORE
from tests.support.infra import ROOT

# The service manager may do everything, so the fuzzer gets past the role checks into the handlers.
TOKEN = issue_token(Principal(user_id="fuzzer", name="fuzzer", dealer_group_id=GROUP,
                              roles=frozenset({Role.SERVICE_MANAGER, Role.GENERAL_MANAGER}),
                              store_ids=frozenset({STORE})), key=SIGNING_KEY, issuer="aftersales-gateway",
                     ttl_seconds=3 * 3600)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


def _fuzz(service: str):
    # Login is exercised with real users in test_platform; fuzzing it only hashes passwords.
    schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi" / f"{service}.json").exclude(path="/auth/token")

    @schema.parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def test(case, platform):
        response = case.call(base_url=platform.url(service), headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=15)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}")
        case.validate_response(response, checks=[status_code_conformance, content_type_conformance,
                                                 response_schema_conformance])

    return test


test_crm = _fuzz("crm")
test_reception = _fuzz("reception")
test_workshop = _fuzz("workshop")
test_parts = _fuzz("parts")
test_claims = _fuzz("claims")
test_gateway = _fuzz("gateway")
