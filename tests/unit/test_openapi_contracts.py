"""Every service's published OpenAPI, checked as an integrator's tools would read it: valid by the
official validator, every success answer typed, every error answer documented with the one Error model,
servers and tags declared. (The e2e fuzz test checks the running services answer as documented.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "docs" / "openapi").glob("*.json"))
ERROR = {"$ref": "#/components/schemas/Error"}
# The gateway's pass-through answers whatever the named service answers, as that service's spec says.
PASS_THROUGH = "forwarded"


def operations(spec: dict):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield path, method, op


@pytest.fixture(params=SPECS, ids=[s.stem for s in SPECS])
def spec(request) -> dict:
    return json.loads(request.param.read_text())


def test_the_official_validator_accepts_it(spec):
    validate(spec)


def test_every_success_answer_is_typed(spec):
    untyped = [f"{m.upper()} {p}" for p, m, op in operations(spec) if PASS_THROUGH not in op.get("tags", [])
               for code, answer in op["responses"].items() if code.startswith("2")
               if not answer.get("content") or any(media.get("schema") in (None, {})
                                                   for media in answer["content"].values())]
    assert not untyped, untyped


def test_every_error_an_operation_can_give_is_documented_with_the_error_model(spec):
    missing = []
    for path, method, op in operations(spec):
        expected = []
        if op.get("security"):
            expected += ["401", "403"]
        if "{" in path:
            expected.append("404")
        if method in ("post", "put", "patch", "delete"):
            expected.append("409")
        if op.get("parameters") or op.get("requestBody"):
            expected.append("422")
        if op.get("requestBody"):
            expected.append("400")
        for code in expected:
            answer = op["responses"].get(code, {})
            if answer.get("content", {}).get("application/json", {}).get("schema") != ERROR:
                missing.append(f"{method.upper()} {path} {code}")
    assert not missing, missing


def test_servers_and_tags_are_declared(spec):
    assert spec.get("servers"), "no servers"
    declared = {t["name"] for t in spec.get("tags", [])}
    used = {t for _, _, op in operations(spec) for t in op.get("tags", [])}
    assert used <= declared, used - declared
    assert all(t.get("description") for t in spec["tags"])


def test_each_route_behind_roles_shows_them():
    spec = json.loads((ROOT / "docs/openapi/gateway.json").read_text())
    op = spec["paths"]["/org/users"]["post"]
    assert op["x-roles"] == ["group_admin", "service_manager"] and "Roles allowed" in op["description"]


def test_every_link_names_an_operation_of_the_spec_and_fills_its_path(spec):
    """Links (`shared.openapi.links_to` on the route) are what a client generator and the fuzzer's stateful phase
    follow: each names an operation that exists and gives every path parameter it needs."""
    by_id = {op["operationId"]: (path, op) for path, _, op in operations(spec)}
    wrong = []
    for path, method, op in operations(spec):
        for answer in op["responses"].values():
            for name, link in answer.get("links", {}).items():
                target, _ = by_id.get(link["operationId"], (None, None))
                needs = set() if target is None else {p[1:-1] for p in target.split("/") if p.startswith("{")}
                if target is None or needs - set(link["parameters"]):
                    wrong.append(f"{method.upper()} {path} -> {name}")
    assert not wrong, wrong


@pytest.mark.parametrize(("service", "creates", "read"), [
    ("crm", "/customers", "/customers/{customer_id}"), ("reception", "/appointments", "/appointments/{appointment_id}"),
    ("reception", "/check-ins", "/repair-orders/{ro_id}"), ("parts", "/parts", "/parts/{part_id}"),
    ("claims", "/insurance-claims", "/insurance-claims/{claim_id}"), ("gateway", "/org/users", "/org/users/{user_id}"),
])
def test_a_command_creating_a_record_links_to_reading_it(service, creates, read):
    spec = json.loads((ROOT / "docs" / "openapi" / f"{service}.json").read_text())
    links = spec["paths"][creates]["post"]["responses"]["201"]["links"]
    assert spec["paths"][read]["get"]["operationId"] in links
