"""Nothing a client sends produces a 500, and every answer is one the OpenAPI documents: every operation
of every service's published spec, fuzzed with schema-shaped and malformed requests (schemathesis +
Hypothesis) against the running processes, each answer checked by schemathesis' own conformance checks
(documented status code, content type and body schema). FUZZ_EXAMPLES=200 digs deeper than CI's 15.

Then the stateful phase: schemathesis chains calls along the specs' OpenAPI links (`shared.openapi.links_to`
on the routes: a customer registered, then read, corrected, its history; a check-in, then the repair order's
commands; a work order listed, then its jobs' commands), so the commands meet real records and real states,
not only 404s. Same checks, and a record a link names must be there (`ensure_resource_availability`).
FUZZ_SCENARIOS scenarios of at most FUZZ_STEPS calls per spec (CI: 25 of 6; with FUZZ_EXAMPLES=200, 200 of 10)."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from pathlib import Path

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.errors import Flaky
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_schema_conformance,
    status_code_conformance,
)
from shared.auth import Principal, Role, issue_token

from tests.support.e2e import FUZZ_STORE, GROUP, SIGNING_KEY, STORE
from tests.support.factories import new_phone, new_vin
from tests.support.infra import ROOT

# The service manager may do everything, so the fuzzer gets past the role checks into the handlers.
TOKEN = issue_token(Principal(user_id="fuzzer", name="fuzzer", dealer_group_id=GROUP,
                              roles=frozenset({Role.SERVICE_MANAGER, Role.GENERAL_MANAGER}),
                              store_ids=frozenset({STORE})), key=SIGNING_KEY, issuer="aftersales-gateway",
                     ttl_seconds=3 * 3600)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# Digging deeper (FUZZ_EXAMPLES above 15) runs as many scenarios, of up to 10 calls.
SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", max(25, EXAMPLES)))
STEPS = int(os.environ.get("FUZZ_STEPS", 6 if EXAMPLES <= 15 else 10))
# The gateway's organisation routes (its links: a store opened, a user created, then read and changed) are the
# group administrator's; that role is group-wide, so it has a token of its own rather than joining the one above.
STATEFUL_TOKEN = issue_token(Principal(user_id="fuzzer", name="fuzzer", dealer_group_id=GROUP,
                                       roles=frozenset({Role.SERVICE_MANAGER, Role.GENERAL_MANAGER}),
                                       store_ids=frozenset({FUZZ_STORE})), key=SIGNING_KEY,
                             issuer="aftersales-gateway", ttl_seconds=3 * 3600)
ADMIN_TOKEN = issue_token(Principal(user_id="fuzzer.admin", name="fuzzer", dealer_group_id=GROUP,
                                    roles=frozenset({Role.GROUP_ADMIN})), key=SIGNING_KEY,
                          issuer="aftersales-gateway", ttl_seconds=3 * 3600)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _spec(service: str) -> Path:
    return ROOT / "docs" / "openapi" / f"{service}.json"


def _schema(service: str):
    # Login is exercised with real users in test_platform; fuzzing it only hashes passwords.
    return schemathesis.openapi.from_path(_spec(service)).exclude(path="/auth/token")


def _linked(service: str) -> list[str]:
    """The operationIds that take part in the spec's links, as a link's source or its target: the stateful phase's
    scenarios start from these, not from the many commands on an id no scenario has made yet (a 404 each)."""
    spec = json.loads(_spec(service).read_text())
    ids = set()
    for ops in spec["paths"].values():
        for op in ops.values():
            for answer in op["responses"].values():
                if links := answer.get("links"):
                    ids |= {op["operationId"], *(link["operationId"] for link in links.values())}
    return sorted(ids)


def _fuzz(service: str):
    schema = _schema(service)

    @schema.parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def test(case, platform):
        response = case.call(base_url=platform.url(service), headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=15)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}")
        case.validate_response(response, checks=CHECKS)

    return test


test_crm = _fuzz("crm")
test_reception = _fuzz("reception")
test_workshop = _fuzz("workshop")
test_parts = _fuzz("parts")
test_claims = _fuzz("claims")
test_gateway = _fuzz("gateway")


def realistic(case, bin_code: str | None = None) -> None:
    """What a schema cannot say, filled in as a client would, so a chain's first command can succeed and give
    the next steps a record: the store is one the token may use, a phone a phone number, a VIN a valid VIN, a
    part's bin one that exists and its prices numbers. (Random values for these are the single-call fuzzing's.)"""
    if isinstance(case.body, dict) and case.operation.label == "POST /check-ins":
        # A first visit, as tests/support/e2e.walk_in: the repair order the chain then works on (the store has no
        # booking capacity and reception knows no vehicle of it, so a booking cannot start a chain).
        case.body.clear()
        case.body.update({"store_id": FUZZ_STORE, "vin": new_vin(), "plate": "苏E54321", "odometer_km": 20100,
                          "covers_fitted": True, "customer_complaint": "刹车异响", "first_visit": {
                              "customer": {"name": "蔡明", "phones": [new_phone()]}, "vehicle": {"model": "Magotan"}}})
    if isinstance(case.body, dict) and case.operation.path == "/parts":
        case.body.update({"supplier_id": None, **({"bin_code": bin_code} if bin_code else {})})
        for amount in ("retail_price", "opening_cost", "opening_quantity", "safety_stock"):
            if isinstance(case.body.get(amount), str):
                case.body[amount] = "1"
    for params in (case.path_parameters, case.query):
        if params and "store_id" in params:
            params["store_id"] = FUZZ_STORE
    if isinstance(case.body, dict):
        if "store_id" in case.body and case.operation.path != "/org/stores":  # opening a store takes a new id
            case.body["store_id"] = FUZZ_STORE
        if "phones" in case.body:
            case.body["phones"] = [new_phone()]
        if "vin" in case.body:
            case.body["vin"] = new_vin()


def shelf(platform) -> str:
    """A bin of the fuzzer's store for the parts it creates."""
    r = httpx.post(f"{platform.url('parts')}/bins", headers={"Authorization": f"Bearer {STATEFUL_TOKEN}"}, json={
        "store_id": FUZZ_STORE, "store_room": "FZ", "rack": "01", "shelf": uuid.uuid4().hex[:4], "position": "01"})
    assert r.status_code == 201, r.text
    return r.json()["code"]


def _stateful(service: str):
    def test(platform):
        token = ADMIN_TOKEN if service == "gateway" else STATEFUL_TOKEN

        followed, answers = Counter(), Counter()

        schema = _schema(service).include(operation_id=_linked(service))
        # Only the declared links: links schemathesis infers (every answer carrying a record's id) make almost
        # every command a scenario's start, and the few scenarios of a run then begin with a 404.
        schema.config.phases.stateful.inference.algorithms = []

        bin_code = shelf(platform) if service == "parts" else None

        class Scenarios(schema.as_state_machine()):
            def before_call(self, case):
                realistic(case, bin_code)

            def step(self, input):
                if input.transition is not None and input.is_applied:  # a call made with a linked record's id
                    followed[f"{input.transition.parent_id} -> {input.case.operation.label}"] += 1
                return super().step(input)

            def get_call_kwargs(self, case):
                return {"base_url": platform.url(service), "headers": {"Authorization": f"Bearer {token}"},
                        "timeout": 15}

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                answers[f"{case.operation.label} {response.status_code}"] += 1
                try:
                    assert response.status_code < 500, (
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}")
                    case.validate_response(response, checks=[*CHECKS, ensure_resource_availability],
                                           transport_kwargs=kwargs or None, recorder=self.recorder)
                except Exception as e:
                    failures.append(f"{case.method} {case.formatted_path}: {e}")
                    raise

        failures: list[str] = []
        try:
            Scenarios.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, deadline=None,
                                            suppress_health_check=list(HealthCheck), database=None))
        except Flaky:
            # Hypothesis replays a scenario to shrink it and the API answered the same calls differently (the
            # gateway's rate limit answers 429 by the clock): what counts is whether any answer failed a check.
            assert not failures, failures[0]
        print(f"\n{service}: {sum(followed.values())} calls along links", *sorted(followed.items()),
              "answers:", *sorted(answers.items()), sep="\n  ")
        assert followed, f"no call of {service} followed a link: the stateful phase tested nothing beyond single calls"

    return test


test_crm_stateful = _stateful("crm")
test_reception_stateful = _stateful("reception")
test_workshop_stateful = _stateful("workshop")
test_parts_stateful = _stateful("parts")
test_claims_stateful = _stateful("claims")
test_gateway_stateful = _stateful("gateway")
