"""The gateway's edge through running servers (real HTTP on loopback): rate limits (429 + Retry-After,
naming the limit), the size limit (413, with and without Content-Length), and forwarding that keeps the
caller's correlation id and Idempotency-Key, so a retried POST has one effect even across a gateway
restart, and the service's 4xx answers come back as the service gave them."""

from __future__ import annotations

import json
import uuid

import pytest
from gateway.users import upsert_users
from shared.auth import Role

from tests.support.factories import new_phone

PW = "a-good-password-1"


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def counters(gw) -> dict[str, int]:
    """How many counters the gateway's limiter holds (the library's in-memory storage)."""
    return gw.app.state.rate_limits.counters()


async def test_a_user_over_its_rate_gets_429_with_retry_after_and_a_group_shares_one_limit(start_service, token):
    group = uid("dg")
    a, b = (token(Role.ADVISOR, stores=["s-1"], group=group, user=uid("u")) for _ in range(2))
    elsewhere = token(Role.ADVISOR, stores=["s-9"], group=uid("dg"), user=uid("u"))
    async with start_service("gateway", listen=True, rate_limit_per_user="3/minute",
                             rate_limit_per_group="5/minute") as gw:
        # each request counts once, whatever its route's dependencies (a role check verifies the token too)
        assert [(await gw.client.get(path, headers=a)).status_code
                for path in ("/me", "/org/stores", "/org/group")] == [200, 200, 404]
        refused = await gw.client.get("/me", headers=a)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"] == "TooManyRequests" and refused.json()["limit"] == "per_user"
        assert "RATE_LIMIT_PER_USER" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["retry_after"] == int(refused.headers["Retry-After"])
        # every route behind a token: a forwarded command is refused before it goes anywhere
        forwarded = await gw.client.post("/api/crm/customers", headers=a, json={})
        assert forwarded.status_code == 429 and forwarded.json()["limit"] == "per_user"

        # b has its own 3, but the group has 5 in all and a used 3
        assert [(await gw.client.get("/me", headers=b)).status_code for _ in range(3)] == [200, 200, 429]
        assert (await gw.client.get("/me", headers=b)).json()["limit"] == "per_group"
        assert (await gw.client.get("/me", headers=elsewhere)).status_code == 200  # another group

        # no valid token: refused before the limiter, which keeps nothing for it
        held = counters(gw)
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            for _ in range(50):
                assert (await gw.client.get("/me", headers=headers)).status_code == 401
        assert counters(gw) == held


async def test_password_guessing_is_refused_429_per_username_even_with_the_right_password(
        start_service, service_databases):
    user = uid("u")
    await upsert_users(service_databases["gateway"], [dict(username=user, password=PW, dealer_group_id=uid("dg"),
                                                           roles=["group_analyst"])])
    async with start_service("gateway", listen=True, rate_limit_login_per_username="3/minute") as gw:
        for _ in range(3):
            r = await gw.client.post("/auth/token", data={"username": user, "password": "guess"})
            assert r.status_code == 401
        r = await gw.client.post("/auth/token", data={"username": user, "password": PW})
        assert r.status_code == 429 and r.json()["limit"] == "per_username" and int(r.headers["Retry-After"]) >= 1
        other = uid("u")  # another username from the same address is not refused for it
        assert (await gw.client.post("/auth/token", data={"username": other, "password": "x"})).status_code == 401

    async with start_service("gateway", listen=True, rate_limit_login_per_address="2/minute") as gw:
        for name in (uid("u"), uid("u")):
            assert (await gw.client.post("/auth/token", data={"username": name, "password": "x"})).status_code == 401
        r = await gw.client.post("/auth/refresh", json={"refresh_token": "spent"})
        assert r.status_code == 429 and r.json()["limit"] == "per_address"


LIMIT = 64 * 1024


def customer(store: str, name: str = "王伟", **more) -> dict:
    return {"store_id": store, "name": name, "phones": [new_phone()], **more}


async def test_a_body_over_the_limit_is_413_naming_it_with_and_without_content_length(start_service, token):
    advisor = token(Role.ADVISOR, stores=["s-pd"], group=uid("dg"), user=uid("adv"))
    async with (start_service("crm", listen=True) as crm,
                start_service("gateway", listen=True, crm_url=crm.url, max_request_body_bytes=LIMIT) as gw):
        big = json.dumps(customer("s-pd", contact_window="x" * (LIMIT + 1))).encode()
        declared = await gw.client.post("/api/crm/customers", headers=advisor | {"Content-Type": "application/json"},
                                        content=big)
        assert declared.status_code == 413, declared.text
        assert (declared.json()["error"], declared.json()["limit_bytes"]) == ("PayloadTooLarge", LIMIT)
        assert str(LIMIT) in declared.json()["detail"] and "MAX_REQUEST_BODY_BYTES" in declared.json()["detail"]

        async def chunks(body: bytes, size: int = 8192):
            for i in range(0, len(body), size):
                yield body[i:i + size]

        streamed = await gw.client.post("/api/crm/customers", headers=advisor | {"Content-Type": "application/json"},
                                        content=chunks(big))
        assert streamed.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 413 and streamed.json()["limit_bytes"] == LIMIT, streamed.text

        # a login form too (read by the framework, not by the forwarder)
        form = await gw.client.post("/auth/token", data={"username": "u", "password": "p" * LIMIT})
        assert form.status_code == 413 and form.json()["error"] == "PayloadTooLarge"

        # a body within the limit goes through, chunked or not
        fits = json.dumps(customer("s-pd", contact_window="09:00-11:30")).encode()
        assert (await gw.client.post("/api/crm/customers", headers=advisor | {"Content-Type": "application/json"},
                                     content=chunks(fits, 16))).status_code == 201
        assert (await gw.client.post("/api/crm/customers", headers=advisor,
                                     json=customer("s-pd"))).status_code == 201


@pytest.fixture
async def crm(start_service):
    async with start_service("crm", listen=True) as crm:
        yield crm


async def test_a_retried_post_has_one_effect_and_the_same_answer_across_a_gateway_restart(crm, start_service, token):
    group = uid("dg")
    advisor = token(Role.ADVISOR, stores=["s-pd"], group=group, user=uid("adv"))
    supervisor = token(Role.FRONT_DESK_SUPERVISOR, stores=["s-pd"], group=group, user=uid("fd"))
    body = customer("s-pd")
    retry = {"Idempotency-Key": uid("key"), "X-Correlation-Id": uid("call")}

    async with start_service("gateway", listen=True, crm_url=crm.url) as gw:
        first = await gw.client.post("/api/crm/customers", headers=advisor | retry, json=body)
        assert first.status_code == 201, first.text
        assert "idempotent-replayed" not in first.headers
    async with start_service("gateway", listen=True, crm_url=crm.url) as gw:  # a new gateway, a new port
        again = await gw.client.post("/api/crm/customers", headers=advisor | retry, json=body)
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"

        # one effect: the customer's history has one change, under the caller's correlation id
        history = await gw.client.get(f"/api/crm/customers/{first.json()['id']}/history", headers=supervisor)
        assert history.status_code == 200, history.text
        assert [(h["command"], h["correlation_id"]) for h in history.json()] == [
            ("register_customer", retry["X-Correlation-Id"])]

        # the service's refusals come back as it gave them: status, body, content type
        for headers, payload in [
            (advisor | retry, {**body, "name": "另一个人"}),  # the key with another body: 422
            (advisor, body),  # the same phone without a key: 409 naming the existing customer
            (advisor, {**body, "phones": []}),  # invalid input: 422 naming the field
        ]:
            via = await gw.client.post("/api/crm/customers", headers=headers, json=payload)
            direct = await crm.client.post("/customers", headers=headers, json=payload)
            assert 400 <= via.status_code < 500 and via.status_code == direct.status_code, via.text
            assert via.content == direct.content and via.headers["content-type"] == direct.headers["content-type"]
        assert (await gw.client.post("/api/crm/customers", headers=advisor, json=body)).json()[
            "existing_customer_id"] == first.json()["id"]


async def test_without_a_correlation_id_the_service_uses_the_gateways_trace(crm, start_service, token):
    group = uid("dg")
    advisor = token(Role.ADVISOR, stores=["s-pd"], group=group, user=uid("adv"))
    supervisor = token(Role.FRONT_DESK_SUPERVISOR, stores=["s-pd"], group=group, user=uid("fd"))
    traceparent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"
    async with start_service("gateway", listen=True, crm_url=crm.url) as gw:
        r = await gw.client.post("/api/crm/customers", headers=advisor | {"traceparent": traceparent},
                                 json=customer("s-pd"))
        assert r.status_code == 201, r.text
        history = await gw.client.get(f"/api/crm/customers/{r.json()['id']}/history", headers=supervisor)
    assert history.json()[0]["correlation_id"] == traceparent.split("-")[1]
