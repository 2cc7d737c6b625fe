"""The whole platform as separate processes, driven through the gateway like a store would."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from deploy.launcher import SERVICES
from tests.support.e2e import (
    STORE,
    invoice_and_deliver,
    login,
    open_brake_job,
    queued_in_workshop,
    set_up_shop,
    wash,
    work_the_job,
)
from tests.support.factories import eventually, new_phone, new_vin


async def test_every_service_is_ready_and_serves_metrics_and_openapi(platform):
    async with httpx.AsyncClient(timeout=5) as http:
        for svc in SERVICES:
            ready = await http.get(platform.url(svc) + "/ready")
            assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "kafka": "ok"}, svc
            metrics = (await http.get(platform.url(svc) + "/metrics")).text
            assert "http_requests_total" in metrics and "outbox_backlog" in metrics, svc
            assert (await http.get(platform.url(svc) + "/openapi.json")).json()["info"]["title"] == svc


async def test_prometheus_scrapes_every_service_with_the_alert_rules(platform):
    """What `./run start` prints at its end: a Prometheus whose targets are all the services, all up."""
    if not platform.prometheus:
        pytest.skip("prometheus not installed (./run test installs it)")
    prom = platform.monitor()
    assert prom.targets() == {svc: "up" for svc in SERVICES}
    async with httpx.AsyncClient(base_url=prom.url, timeout=5) as http:
        groups = (await http.get("/api/v1/rules")).json()["data"]["groups"]
        rules = {r["name"] for g in groups for r in g["rules"]}
        assert {"ServiceDown", "DeadLetters", "ConsumerLagGrowing", "OutboxBacklogOld", "HttpServerErrors"} <= rules
        up = (await http.get("/api/v1/query", params={"query": 'sum(up{job="aftersales"})'})).json()
        assert float(up["data"]["result"][0]["value"][1]) == len(SERVICES)


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


async def test_walk_in_repair_order_to_delivery_reaches_crm_as_records_and_a_follow_up(platform):
    """reception, workshop and crm as separate processes, through the gateway: a first-visit check-in becomes
    crm's customer and vehicle; workshop queues the signed order's job, the floor works it through the three
    checks (三检) and the wash; the delivered repair order becomes crm's follow-up call (回访)."""
    store = STORE
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        advisor, care = await login(gw, "advisor"), await login(gw, "care")
        sup, tech = await login(gw, "ws.sup"), await login(gw, "ws.tech")
        leader, qc = await login(gw, "ws.leader"), await login(gw, "ws.qc")
        await set_up_shop(gw, sup)  # the floor's shifts publish the capacity reception plans with
        vin, phone = new_vin(), new_phone()
        r = await gw.post("/api/reception/check-ins", headers=advisor | {"Idempotency-Key": f"ci-{vin}"}, json={
            "store_id": store, "vin": vin, "plate": "苏E12345", "odometer_km": 15230, "covers_fitted": True,
            "customer_complaint": "刹车异响", "first_visit": {
                "customer": {"name": "吴磊", "phones": [phone]}, "vehicle": {"model": "Tiguan L"}}})
        assert r.status_code == 201, r.text
        ro = r.json()

        async def crm_has_the_walk_in():
            v = await gw.get("/api/crm/vehicles", params={"vin": vin}, headers=care)
            return v.json() if v.status_code == 200 else None

        vehicle = await eventually(crm_has_the_walk_in)
        assert vehicle and vehicle["plate"] == "苏E12345", "crm never registered the walk-in"
        customer = (await gw.get(f"/api/crm/customers/{vehicle['owner_customer_id']}", headers=care)).json()
        assert customer["name"] == "吴磊" and customer["phones"] == [phone]

        ro = await open_brake_job(gw, advisor, ro, signed_by="吴磊")
        await queued_in_workshop(gw, sup, ro["id"])
        for job in ro["jobs"]:  # dispatched, worked and the three checks, per job and in order
            await work_the_job(gw, ro["id"], job["job_id"], sup, tech, leader, qc)
        await wash(gw, ro["id"], sup)

        await invoice_and_deliver(gw, advisor, ro["id"], odometer_out_km=15236)

        async def follow_up():
            fus = (await gw.get("/api/crm/follow-ups", params={"store_id": store}, headers=care)).json()
            return next((f for f in fus if f["repair_order_id"] == ro["id"]), None)

        fu = await eventually(follow_up)
        assert fu, "crm never scheduled the follow-up call for the delivery"
        assert fu["customer_id"] == customer["id"] and fu["status"] == "scheduled"

        async def workshop_closed_it():  # the delivery closes the work order: off the board
            b = (await gw.get("/api/workshop/board", params={"store_id": store}, headers=sup)).json()
            return all(o["repair_order_id"] != ro["id"] for o in b["orders"])

        assert await eventually(workshop_closed_it), "workshop kept the delivered order on its board"


async def test_overview_is_marked_partial_when_a_service_is_down(platform):
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        h = await login(gw, "advisor")
        assert platform.running("reception")
        await asyncio.to_thread(platform.stop, ("reception",))
        r = await gw.get("/api/vehicle-overview", params={"vin": "LSVAU218XN2183294"}, headers=h)
        assert r.status_code == 200
        assert r.json()["partial"] is True and r.json()["unavailable"] == ["reception"]
        down = await gw.get("/api/reception/vehicles", params={"vin": "LSVAU218XN2183294"}, headers=h)
        assert down.status_code == 503 and "reception" in down.json()["detail"]
    platform.start(migrate=False)  # back up for the tests that follow (main thread: see conftest)

