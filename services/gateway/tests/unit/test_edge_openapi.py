"""The gateway's OpenAPI names its edge: 429 (with Retry-After) wherever a rate limit can refuse, 413 wherever
a body can be too large, and the limits in force in its description."""

from __future__ import annotations

from gateway.config import Settings
from gateway.main import create_app

ERROR = {"$ref": "#/components/schemas/Error"}


def spec(**settings) -> dict:
    return create_app(Settings(**settings)).openapi()


def operations(doc: dict):
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def test_every_operation_behind_a_token_and_login_and_refresh_document_429_with_retry_after():
    doc = spec()
    limited = [(p, m) for p, m, op in operations(doc) if op.get("security") or p in ("/auth/token", "/auth/refresh")]
    assert ("/api/{service}/{path}", "post") in limited and ("/api/vehicle-overview", "get") in limited
    for path, method in limited:
        answer = doc["paths"][path][method]["responses"].get("429")
        assert answer and answer["content"]["application/json"]["schema"] == ERROR, (method, path)
        assert answer["headers"]["Retry-After"]["schema"]["type"] == "integer", (method, path)
    assert "429" not in doc["paths"]["/health"]["get"]["responses"]


def test_every_command_and_every_operation_with_a_body_documents_413():
    doc = spec()
    for path, method, op in operations(doc):
        if method in ("post", "put", "patch", "delete") or op.get("requestBody"):
            assert op["responses"]["413"]["content"]["application/json"]["schema"] == ERROR, (method, path)
    assert "413" not in doc["paths"]["/me"]["get"]["responses"]


def test_the_description_names_the_limits_in_force():
    info = spec(rate_limit_per_user="15/second", max_request_body_bytes=2048)["info"]["description"]
    assert "per user 15 per 1 second (RATE_LIMIT_PER_USER)" in info
    assert "per dealer group 300 per 1 second" in info and "per gateway instance" in info
    assert "2048 bytes (MAX_REQUEST_BODY_BYTES)" in info
