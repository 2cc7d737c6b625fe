"""The real workshop service, through the gateway, between reception's repair order and its settlement:
shifts make the capacity reception books into, an operation code reaches reception's estimates, the order's
jobs are queued, dispatched, worked and pass the three checks (三检), and reception can then settle."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.support.e2e import (
    STORE,
    complete_and_check,
    dispatch_and_start,
    job_path,
    login,
    open_brake_job,
    queued_in_workshop,
    ready_to_invoice,
    set_up_shop,
    walk_in,
    wash,
)
from tests.support.factories import eventually

SH = ZoneInfo("Asia/Shanghai")


async def test_shifts_make_bookable_capacity_and_operation_codes_reach_reception(platform):
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
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


async def test_a_repair_order_goes_through_the_workshop_to_settlement(platform):
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        sup, advisor = await login(gw, "ws.sup"), await login(gw, "advisor")
        tech, leader, qc = await login(gw, "ws.tech"), await login(gw, "ws.leader"), await login(gw, "ws.qc")
        await set_up_shop(gw, sup)
        ro, _ = await walk_in(gw, advisor)
        job_id = (await open_brake_job(gw, advisor, ro, image_ref="blob://signatures/e2e-ws.png"))["jobs"][0]["job_id"]
        await queued_in_workshop(gw, sup, ro["id"])

        path = job_path(ro["id"], job_id)
        r = await gw.post(f"{path}/dispatch", headers=sup, json={"technician_id": "nobody"})
        assert r.status_code == 404 and "nobody" in r.json()["detail"]
        await dispatch_and_start(gw, ro["id"], job_id, sup, tech)
        assert (await gw.post(f"{path}/pause", headers=tech, json={"reason": "other"})).status_code == 200
        r = await gw.post(f"{path}/complete", headers=tech, json={})
        assert r.status_code == 409 and r.json()["current_state"] == "paused", r.text
        assert (await gw.post(f"{path}/resume", headers=tech, json={})).status_code == 200
        await complete_and_check(gw, ro["id"], job_id, tech, leader, qc)
        assert (await wash(gw, ro["id"], sup))["state"] == "ready_for_pickup"

        got = await ready_to_invoice(gw, advisor, ro["id"])
        r = await gw.post(f"/api/reception/repair-orders/{ro['id']}/invoice", headers=advisor,
                          json={"version": got["version"]})
        assert r.status_code == 200, r.text


async def test_added_work_found_on_the_floor_is_approved_at_reception_and_a_failed_final_is_reworked(platform):
    """增项 across the two services: the technician's finding reaches the advisor, the customer's approval comes
    back to workshop as a new job in the queue; a failed final inspection sends that job to rework, which
    reception sees and workshop counts against the first-time-fix rate (一次修复率)."""
    async with httpx.AsyncClient(base_url=platform.url("gateway"), timeout=10) as gw:
        sup, advisor = await login(gw, "ws.sup"), await login(gw, "advisor")
        tech, leader, qc = await login(gw, "ws.tech"), await login(gw, "ws.leader"), await login(gw, "ws.qc")
        await set_up_shop(gw, sup)
        ro, _ = await walk_in(gw, advisor)
        r = await gw.post(f"/api/reception/repair-orders/{ro['id']}/open", headers=advisor, json={
            "version": ro["version"], "payment_method": "card", "old_parts": "customer_keeps",
            "signature": {"name": "蔡明", "image_ref": "blob://signatures/e2e-added.png"},
            "jobs": [{"description": "front brake pads", "flat_rate_hours": "1.2", "pay_type": "customer"}]})
        assert r.status_code == 200, r.text
        job_id = r.json()["jobs"][0]["job_id"]
        await queued_in_workshop(gw, sup, ro["id"])
        await dispatch_and_start(gw, ro["id"], job_id, sup, tech)
        r = await gw.post(f"{job_path(ro['id'], job_id)}/findings", headers=tech, json={
            "description": "前刹车盘磨损超限", "safety_related": True, "estimated_hours": "0.8",
            "photos": ["blob://photos/disc.jpg"]})
        assert r.status_code == 200, r.text

        async def finding_at_reception():
            got = (await gw.get(f"/api/reception/repair-orders/{ro['id']}", headers=advisor)).json()
            pending = [f for f in got["findings"] if f["status"] == "pending"]
            return (got, pending[0]) if pending else None

        found = await eventually(finding_at_reception)
        assert found, "reception never heard of the added work"
        got, finding = found
        assert finding["description"] == "前刹车盘磨损超限" and finding["safety_related"] is True
        r = await gw.post(f"/api/reception/repair-orders/{ro['id']}/added-work/{finding['finding_id']}/decision",
                          headers=advisor, json={"version": got["version"], "decision": "approve"})
        assert r.status_code == 200, r.text
        added = next(j for j in r.json()["jobs"] if j["job_id"] != job_id)

        async def replanned():
            wo = (await gw.get(f"/api/workshop/work-orders/{ro['id']}", headers=sup)).json()
            return wo if any(j["job_id"] == added["job_id"] for j in wo["jobs"]) else None

        wo = await eventually(replanned)
        assert wo, "workshop never queued the approved added work"
        assert next(j for j in wo["jobs"] if j["job_id"] == added["job_id"])["state"] == "queued"

        await complete_and_check(gw, ro["id"], job_id, tech, leader, qc)
        await dispatch_and_start(gw, ro["id"], added["job_id"], sup, tech)
        path = job_path(ro["id"], added["job_id"])
        assert (await gw.post(f"{path}/complete", headers=tech, json={})).status_code == 200
        for who, stage in ((tech, "self"), (leader, "team_leader")):
            r = await gw.post(f"{path}/inspections", headers=who, json={"stage": stage, "passed": True})
            assert r.status_code == 200, r.text

        async def reception_job(check):
            got = (await gw.get(f"/api/reception/repair-orders/{ro['id']}", headers=advisor)).json()
            j = next(j for j in got["jobs"] if j["job_id"] == added["job_id"])
            return j if check(j) else None

        assert await eventually(lambda: reception_job(lambda j: j["completed"] and len(j["checks_passed"]) == 2))
        r = await gw.post(f"{path}/inspections", headers=qc, json={
            "stage": "final", "passed": False, "reason": "刹车盘螺栓扭矩不足", "checklist": {"torque": False}})
        assert r.status_code == 200, r.text
        assert next(j for j in r.json()["jobs"] if j["job_id"] == added["job_id"])["state"] == "rework"

        reworked = await eventually(lambda: reception_job(lambda j: not j["completed"] and not j["checks_passed"]))
        assert reworked, "reception never saw the rework: the job is to be done and checked again"
        assert (await gw.post(f"{path}/start", headers=tech, json={})).status_code == 200
        await complete_and_check(gw, ro["id"], added["job_id"], tech, leader, qc)
        await ready_to_invoice(gw, advisor, ro["id"])

        figures = (await gw.get("/api/workshop/figures/technicians", params={"store_id": STORE}, headers=sup)).json()
        mine = next(f for f in figures["technicians"] if f["key"] == "ws.tech")
        assert mine["reworks"] >= 1 and float(mine["first_time_fix_rate"]) < 1, mine
