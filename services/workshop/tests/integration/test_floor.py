"""workshop on real PostgreSQL and Kafka: the queue from RepairOrderOpened (once), parts before completion,
the three checks to VehicleReadyForPickup (once), capacity published from shifts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.auth import Role
from shared.contracts import parts, reception, workshop
from shared.contracts.common import PartLine, PayType, RepairJob

SH = ZoneInfo("Asia/Shanghai")
GROUP = "dg-test"


async def set_up_shop(ws, supervisor, store):
    r = await ws.client.put(f"/stores/{store}/teams/a", headers=supervisor, json={"name": "机修一组",
                                                                                  "leader_id": "l-sun"})
    assert r.status_code == 200, r.text
    for tech in ("t-qian", "t-zhou"):
        r = await ws.client.put(f"/stores/{store}/technicians/{tech}", headers=supervisor, json={
            "name": tech, "team_id": "a", "grade": "mid", "skills": ["mechanical"]})
        assert r.status_code == 200, r.text
    r = await ws.client.put(f"/stores/{store}/bays/b1", headers=supervisor, json={"kind": "lift"})
    r = await ws.client.put(f"/stores/{store}/shifts/day", headers=supervisor, json={
        "team_id": "a", "weekdays": [0, 1, 2, 3, 4, 5], "start": "08:30:00", "end": "17:30:00"})
    assert r.status_code == 200, r.text
    return r.json()


def opened(ro_id: str, clock) -> reception.RepairOrderOpened:
    return reception.RepairOrderOpened(
        repair_order_id=ro_id, number="RO-1", vehicle_id="v1", customer_id="c1", advisor_id="adv",
        promised_at=clock.now() + timedelta(hours=6), transport="waits", jobs=[RepairJob(
            job_id="j1", description="front brake pads", pay_type=PayType.CUSTOMER, flat_rate_hours=Decimal("1.2"),
            parts=[PartLine(part_no="PAD-F", quantity=Decimal(1))])])


async def work_order(upstream, ws, headers, ro_id, check=lambda w: True):
    async def get():
        r = await ws.client.get(f"/work-orders/{ro_id}", headers=headers)
        return r.json() if r.status_code == 200 and check(r.json()) else None
    got = await upstream.eventually(get)
    assert got, f"workshop never had work order {ro_id} as expected"
    return got


async def test_shifts_publish_two_weeks_of_capacity(start_service, token, upstream, clock):
    store = upstream.new_store()
    supervisor = token(Role.WORKSHOP_SUPERVISOR, stores=[store], user="sup-zhao")
    async with start_service("workshop", clock=clock) as ws:
        shop = await set_up_shop(ws, supervisor, store)
        assert shop["coming_days"][0]["technician_hours"] == "16.00"
        got = await upstream.events_for(workshop.CATALOGUE, "2026-12-14",
                                        until=lambda ts: "WorkshopCapacitySet.v1" in ts)
    mine = [e for e in got if e["data"]["technician_hours"] == "16.00"]
    assert mine, got


async def test_queue_once_parts_before_completion_three_checks_ready_once(start_service, token, upstream, clock):
    store, ro_id = upstream.new_store(), str(uuid.uuid4())
    supervisor = token(Role.WORKSHOP_SUPERVISOR, stores=[store], user="sup-zhao")
    tech = token(Role.TECHNICIAN, stores=[store], user="t-qian")
    async with start_service("workshop", clock=clock) as ws:
        await set_up_shop(ws, supervisor, store)
        env = await upstream.publish(opened(ro_id, clock), store=store, source="reception")
        await upstream.publish(opened(ro_id, clock), store=store, source="reception", envelope=env)  # redelivery
        await upstream.publish(opened(ro_id, clock), store=store, source="reception")  # sent again, new id
        wo = await work_order(upstream, ws, supervisor, ro_id)
        assert [j["job_id"] for j in wo["jobs"]] == ["j1"] and wo["jobs"][0]["state"] == "queued"

        path = f"/work-orders/{ro_id}/jobs/j1"
        r = await ws.client.post(f"{path}/dispatch", headers=supervisor, json={"technician_id": "t-ghost"})
        assert r.status_code == 404 and "t-ghost" in r.json()["detail"]
        r = await ws.client.post(f"{path}/dispatch", headers=supervisor, json={"technician_id": "t-qian"})
        assert r.status_code == 200, r.text
        assert (await ws.client.post(f"{path}/start", headers=tech, json={})).status_code == 200
        r = await ws.client.post(f"{path}/complete", headers=tech, json={})
        assert r.status_code == 409 and "PAD-F" in r.json()["detail"], r.text
        before = (await ws.client.get(f"/work-orders/{ro_id}", headers=tech)).json()
        assert before["jobs"][0]["state"] == "in_progress"

        await upstream.publish(parts.PartsIssued(reference_id=ro_id, issue_id="i1", job_id="j1", lines=[
            PartLine(part_no="PAD-F", quantity=Decimal(1))]), store=store, source="parts")
        await work_order(upstream, ws, tech, ro_id, lambda w: w["jobs"][0]["parts_not_issued"] == [])
        clock.advance(hours=1)
        r = await ws.client.post(f"{path}/complete", headers=tech, json={})
        assert r.status_code == 200, r.text
        await inspections(ws, token, store, path, tech)
        got = await upstream.events_for(workshop.JOBS, ro_id,
                                        until=lambda ts: "VehicleReadyForPickup.v1" in ts)
    types = [e["type"] for e in got]
    assert types.count("VehicleReadyForPickup.v1") == 1
    assert types.count("JobDispatched.v1") == 1 and types.count("JobCompleted.v1") == 1
    assert [e["data"]["stage"] for e in got if e["type"] == "InspectionPassed.v1"] == ["self", "team_leader",
                                                                                       "final"]


async def inspections(ws, token, store, path, tech):
    leader = token(Role.TEAM_LEADER, stores=[store], user="l-sun")
    qc = token(Role.QC_INSPECTOR, stores=[store], user="qc-li")
    r = await ws.client.post(f"{path}/inspections", headers=qc, json={"stage": "final", "passed": True})
    assert r.status_code == 409 and r.json()["field"] == "stage", r.text
    r = await ws.client.post(f"{path}/inspections", headers=tech, json={"stage": "self", "passed": True,
                                                                         "checklist": {"torque": True}})
    assert r.status_code == 200, r.text
    r = await ws.client.post(f"{path}/inspections", headers=token(Role.TEAM_LEADER, stores=[store], user="t-qian"),
                             json={"stage": "team_leader", "passed": True})
    assert r.status_code == 403 and "own work" in r.json()["detail"]
    for who, stage in ((leader, "team_leader"), (qc, "final")):
        r = await ws.client.post(f"{path}/inspections", headers=who, json={"stage": stage, "passed": True})
        assert r.status_code == 200, r.text
    assert r.json()["state"] == "ready_for_pickup"
