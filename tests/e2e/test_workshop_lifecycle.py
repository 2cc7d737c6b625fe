"""The real workshop service, through the gateway, between reception's repair order and its settlement:
shifts make the capacity reception books into, an operation code reaches reception's estimates, the order's
jobs are queued, dispatched, worked and pass the three checks (三检), and reception can then settle."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest_asyncio
from gateway.users import upsert_users

from tests.support.e2e import GROUP, PASSWORD, STORE
from tests.support.factories import eventually, new_phone, new_vin

SH = ZoneInfo("Asia/Shanghai")
FLOOR = [("ws.sup", ["workshop_supervisor"]), ("ws.tech", ["technician"]), ("ws.leader", ["team_leader"]),
         ("ws.qc", ["qc_inspector"])]


@pytest_asyncio.fixture(scope="module")
async def floor(platform):
    await upsert_users(platform.database_url("gateway"), [
        dict(username=u, password=PASSWORD, dealer_group_id=GROUP, roles=r, store_ids=[STORE]) for u, r in FLOOR])
    return platform


async def login(gw: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await gw.post("/auth/token", data={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def set_up_shop(gw, sup) -> None:
    for path, body in [
        ("teams/e2e-mech", {"name": "机修一组", "leader_id": "ws.leader"}),
        ("technicians/ws.tech", {"name": "钱技师", "team_id": "e2e-mech", "grade": "mid", "skills": ["mechanical"]}),
        ("bays/lift-1", {"kind": "lift"}),
        ("shifts/e2e-day", {"team_id": "e2e-mech", "weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "08:00:00",
                            "end": "18:00:00", "break_minutes": 60}),
        ("operations/E2E-BRK", {"description": "更换前刹车片", "flat_rate_hours": "1.2", "skill": "mechanical"}),
    ]:
        r = await gw.put(f"/api/workshop/stores/{STORE}/{path}", headers=sup, json=body)
        assert r.status_code == 200, r.text


async def walk_in(gw, advisor) -> tuple[dict, str]:
    vin = new_vin()
    r = await gw.post("/api/reception/check-ins", headers=advisor, json={
        "store_id": STORE, "vin": vin, "plate": "苏E54321", "odometer_km": 20100, "covers_fitted": True,
        "customer_complaint": "刹车异响", "first_visit": {
            "customer": {"name": "蔡明", "phones": [new_phone()]}, "vehicle": {"model": "Magotan"}}})
    assert r.status_code == 201, r.text
    return r.json(), vin


async def test_shifts_make_bookable_capacity_and_operation_codes_reach_reception(floor):
    async with httpx.AsyncClient(base_url=floor.url("gateway"), timeout=10) as gw:
        sup, advisor = await login(gw, "ws.sup"), await login(gw, "advisor")
        await set_up_shop(gw, sup)
        shop = (await gw.get(f"/api/workshop/stores/{STORE}/shop", headers=sup)).json()
        assert len(shop["coming_days"]) == 14 and shop["coming_days"][0]["technician_hours"] == "9.00"
        ro, vin = await walk_in(gw, advisor)
        tomorrow = (datetime.now(SH) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)

        async def booked():
            r = await gw.post("/api/reception/appointments", headers=advisor, json={
                "store_id": STORE, "vehicle_id": ro["vehicle_id"], "slot_start": tomorrow.isoformat(),
                "jobs": [{"operation_code": "E2E-BRK"}]})
            return r.json() if r.status_code == 201 else None

        booking = await eventually(booked)
        assert booking, "reception never took the booking: capacity or the operation code did not arrive"


async def test_a_repair_order_goes_through_the_workshop_to_settlement(floor):
    async with httpx.AsyncClient(base_url=floor.url("gateway"), timeout=10) as gw:
        sup, advisor = await login(gw, "ws.sup"), await login(gw, "advisor")
        tech, leader, qc = await login(gw, "ws.tech"), await login(gw, "ws.leader"), await login(gw, "ws.qc")
        await set_up_shop(gw, sup)
        ro, _ = await walk_in(gw, advisor)
        r = await gw.post(f"/api/reception/repair-orders/{ro['id']}/open", headers=advisor, json={
            "version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps", "wash": True,
            "signature": {"name": "蔡明", "image_ref": "blob://signatures/e2e-ws.png"},
            "jobs": [{"description": "front brake pads", "flat_rate_hours": "1.2", "pay_type": "customer"}]})
        assert r.status_code == 200, r.text
        job_id = r.json()["jobs"][0]["job_id"]

        async def queued():
            b = (await gw.get("/api/workshop/board", params={"store_id": STORE}, headers=sup)).json()
            return next((o for o in b["orders"] if o["repair_order_id"] == ro["id"]), None)

        row = await eventually(queued)
        assert row and row["jobs"][0]["state"] == "queued", "workshop never queued the order's job"
        await work_the_job(gw, ro["id"], job_id, sup, tech, leader, qc)

        async def ready_to_invoice():
            got = (await gw.get(f"/api/reception/repair-orders/{ro['id']}", headers=advisor)).json()
            return got if got["delivery_blockers"] == [] else None

        got = await eventually(ready_to_invoice)
        assert got, "reception never saw the workshop's facts"
        r = await gw.post(f"/api/reception/repair-orders/{ro['id']}/invoice", headers=advisor,
                          json={"version": got["version"]})
        assert r.status_code == 200, r.text


async def work_the_job(gw, ro_id, job_id, sup, tech, leader, qc) -> None:
    path = f"/api/workshop/work-orders/{ro_id}/jobs/{job_id}"
    rec = (await gw.get(f"{path}/recommendation", headers=sup)).json()
    assert rec["technician_id"] == "ws.tech" and rec["explanation"], rec
    r = await gw.post(f"{path}/dispatch", headers=sup, json={"technician_id": "nobody"})
    assert r.status_code == 404 and "nobody" in r.json()["detail"]
    assert (await gw.post(f"{path}/dispatch", headers=sup, json={})).status_code == 200
    assert (await gw.post(f"{path}/start", headers=tech, json={})).status_code == 200
    assert (await gw.post(f"{path}/pause", headers=tech, json={"reason": "other"})).status_code == 200
    r = await gw.post(f"{path}/complete", headers=tech, json={})
    assert r.status_code == 409 and r.json()["current_state"] == "paused", r.text
    assert (await gw.post(f"{path}/resume", headers=tech, json={})).status_code == 200
    assert (await gw.post(f"{path}/complete", headers=tech, json={})).status_code == 200
    for who, stage in ((tech, "self"), (leader, "team_leader"), (qc, "final")):
        r = await gw.post(f"{path}/inspections", headers=who, json={"stage": stage, "passed": True})
        assert r.status_code == 200, r.text
    r = await gw.post(f"/api/workshop/work-orders/{ro_id}/wash", headers=sup)
    assert r.status_code == 200 and r.json()["state"] == "ready_for_pickup", r.text
