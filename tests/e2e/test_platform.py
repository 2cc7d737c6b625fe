"""The whole platform as separate processes, driven through the gateway like a store would."""

from __future__ import annotations

import asyncio

import httpx
import pytest_asyncio
from gateway.users import upsert_users

from deploy.launcher import SERVICES, Platform
from tests.support.factories import new_phone, new_vin
from tests.support.infra import create_database, drop_database

PASSWORD = "e2e-secret-pw"


@pytest_asyncio.fixture(scope="module")
async def platform(infra, tmp_path_factory):
    names = {svc: await create_database(infra, f"e2e_{svc}") for svc in SERVICES}
    p = Platform(pg_server_url=infra.pg_server_url, kafka_bootstrap=infra.kafka_bootstrap,
                 state_dir=tmp_path_factory.mktemp("platform"), databases=names,
                 ports={svc: 18100 + i for i, svc in enumerate(SERVICES)},
                 jwt_secret="e2e-jwt-secret-0123456789abcdef0123")
    try:
        await asyncio.to_thread(p.start)
        await upsert_users(p.database_url("gateway"), [
            dict(username="advisor", password=PASSWORD, dealer_group_id="dg-e2e", roles=["advisor"],
                 store_ids=["s-e2e"]),
            dict(username="outsider", password=PASSWORD, dealer_group_id="dg-other", roles=["advisor"],
                 store_ids=["s-x"]),
        ])
        yield p
    finally:
        await asyncio.to_thread(p.stop)
        for n in names.values():
            await drop_database(infra, n)


async def login(http: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await http.post("/auth/token", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_every_service_is_ready_and_serves_metrics_and_openapi(platform):
    async with httpx.AsyncClient(timeout=5) as http:
        for svc in SERVICES:
            ready = await http.get(platform.url(svc) + "/ready")
            assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "kafka": "ok"}, svc
            metrics = (await http.get(platform.url(svc) + "/metrics")).text
            assert "http_requests_total" in metrics and "outbox_backlog" in metrics, svc
            assert (await http.get(platform.url(svc) + "/openapi.json")).json()["info"]["title"] == svc


async def test_vehicle_registered_through_the_gateway_reaches_reception(platform):
    vin = new_vin()
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        assert (await gw.post("/auth/token", data={"username": "advisor", "password": "wrong"})).status_code == 401
        h = await login(gw, "advisor")
        c = await gw.post("/api/crm/customers", headers=h | {"Idempotency-Key": "e2e-c1"}, json={
            "store_id": "s-e2e", "name": "周杰", "phones": [new_phone()]})
        assert c.status_code == 201, c.text
        again = await gw.post("/api/crm/customers", headers=h | {"Idempotency-Key": "e2e-c1"}, json={
            "store_id": "s-e2e", "name": "周杰", "phones": c.json()["phones"]})
        assert again.json() == c.json() and again.headers["idempotent-replayed"] == "true"
        v = await gw.post("/api/crm/vehicles", headers=h, json={
            "store_id": "s-e2e", "vin": vin, "owner_customer_id": c.json()["id"], "plate": "苏E88888"})
        assert v.status_code == 201, v.text

        for _ in range(150):
            overview = (await gw.get("/api/vehicle-overview", params={"vin": vin}, headers=h)).json()
            if overview["reception"] and overview["reception"]["owner"]["name"]:
                break
            await asyncio.sleep(0.2)
        assert overview["partial"] is False
        assert overview["crm"]["id"] == v.json()["id"]
        assert overview["reception"]["owner"]["name"] == "周杰"

        # Another dealer group sees nothing of it.
        other = await login(gw, "outsider")
        assert (await gw.get("/api/reception/vehicles", params={"vin": vin}, headers=other)).status_code == 404
        assert (await gw.get("/api/crm/vehicles", params={"vin": vin}, headers=other)).status_code == 404
        # No token, no entry; a direct call to a service without a token is refused too.
        assert (await gw.get("/api/crm/vehicles", params={"vin": vin})).status_code == 401
        assert (await gw.get(platform.url("crm") + "/vehicles", params={"vin": vin})).status_code == 401


async def test_overview_is_marked_partial_when_a_service_is_down(platform):
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        h = await login(gw, "advisor")
        await asyncio.to_thread(_stop_one, platform, "reception")
        r = await gw.get("/api/vehicle-overview", params={"vin": "LSVAU218XN2183294"}, headers=h)
        assert r.status_code == 200
        assert r.json()["partial"] is True and r.json()["unavailable"] == ["reception"]
        down = await gw.get("/api/reception/vehicles", params={"vin": "LSVAU218XN2183294"}, headers=h)
        assert down.status_code == 503 and "reception" in down.json()["detail"]


def _stop_one(platform: Platform, svc: str) -> None:
    import os
    import signal
    import time

    pid = platform.running(svc)
    assert pid
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not platform.running(svc):
            return
        time.sleep(0.1)
