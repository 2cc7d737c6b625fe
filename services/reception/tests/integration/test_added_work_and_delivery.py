"""Added work (增项) approval and decline; settlement (结算) → RepairOrderInvoiced → VehicleDelivered."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from reception.adapters.orm import LabourOperationReplica, PartReplica, VehicleReplica, WorkshopCapacityReplica
from shared.auth import Role
from shared.contracts import parts, workshop
from shared.contracts.common import PartLine
from shared.plumbing_tables import outbox_table
from sqlalchemy import func, select

SH = ZoneInfo("Asia/Shanghai")
SIGNATURE = {"name": "王伟", "image_ref": "blob://signatures/ro.png"}


async def open_order(upstream, reception, advisor, store, *, wash=True, first_service=False, with_booking=False):
    vehicle = await upstream.vehicle(store, odometer_km=9000)
    await upstream.operation(store, "OIL-CHG", "1.0", kit=[("OIL-5W30", "4")])
    await upstream.part(store, "OIL-5W30", available="100", price="68.00")
    await upstream.part(store, "PAD-F", available="5", price="420.00")
    await upstream.capacity(store, datetime(2026, 12, 1).date(), 4, "24")
    await upstream.replicated(reception, VehicleReplica, vehicle["vehicle_id"])
    await upstream.replicated(reception, LabourOperationReplica, ("dg-test", store, "OIL-CHG"))
    await upstream.replicated(reception, WorkshopCapacityReplica, ("dg-test", store, datetime(2026, 12, 1).date()))

    async def priced():
        async with reception.runtime.sessions() as s:
            r = await s.get(PartReplica, ("dg-test", store, "PAD-F"))
            o = await s.get(PartReplica, ("dg-test", store, "OIL-5W30"))
            return r is not None and r.retail_price is not None and o is not None and o.available is not None
    assert await upstream.eventually(priced)
    appointment_id = None
    if with_booking:
        b = await reception.client.post("/appointments", headers=advisor, json={
            "store_id": store, "vehicle_id": vehicle["vehicle_id"], "slot_start": "2026-12-01T11:00:00+08:00",
            "jobs": [{"operation_code": "OIL-CHG"}]})
        assert b.status_code == 201, b.text
        appointment_id = b.json()["id"]
    r = await reception.client.post("/check-ins", headers=advisor, json={
        "store_id": store, "vehicle_id": vehicle["vehicle_id"], "vin": vehicle["vin"], "odometer_km": 10000,
        "covers_fitted": True, "customer_complaint": "首保", "appointment_id": appointment_id})
    assert r.status_code == 201, r.text
    ro = r.json()
    r = await reception.client.post(f"/repair-orders/{ro['id']}/open", headers=advisor, json={
        "version": 1, "payment_method": "card", "old_parts": "customer_keeps", "wash": wash, "transport": "waits",
        "signature": SIGNATURE, "jobs": [{"operation_code": "OIL-CHG", "first_service": first_service},
                                         {"description": "warranty: rattle", "flat_rate_hours": "1",
                                          "pay_type": "warranty"}]})
    assert r.status_code == 200, r.text
    return vehicle, r.json(), appointment_id


async def three_checks(upstream, store, ro_id, job_ids, stages=("self", "team_leader", "final")):
    """The three checks (三检) per job, as workshop publishes them."""
    for job_id in job_ids:
        for stage in stages:
            await upstream.publish(workshop.InspectionPassed(repair_order_id=ro_id, stage=stage, inspector_id="qc-1",
                                                             job_id=job_id), store=store, source="workshop")


async def wait_for(upstream, reception, advisor, ro_id, check):
    async def get():
        got = (await reception.client.get(f"/repair-orders/{ro_id}", headers=advisor)).json()
        return got if check(got) else None
    got = await upstream.eventually(get)
    assert got is not None, "reception never saw the workshop's facts"
    return got


async def test_added_work_approval_adds_the_job_with_a_new_estimate_version(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        _, ro, _ = await open_order(upstream, reception, advisor, store)
        finding = str(uuid.uuid4())
        await upstream.publish(workshop.AdditionalWorkFound(
            repair_order_id=ro["id"], finding_id=finding, description="front brake pads worn to 2 mm",
            safety_related=True, estimated_hours=Decimal("0.8"),
            parts=[PartLine(part_no="PAD-F", quantity=Decimal(1))]), store=store, source="workshop")
        got = await wait_for(upstream, reception, advisor, ro["id"], lambda g: g["findings"])
        f = got["findings"][0]
        # priced for the advisor: 0.8 h × 300 + 420.00
        assert f["status"] == "pending" and Decimal(f["estimated_amount"]) == Decimal("660.00")
        assert got["version"] == ro["version"]  # the workshop's fact does not make the advisor's copy stale
        assert any("awaits the customer's decision" in m for m in got["delivery_blockers"])

        url = f"/repair-orders/{ro['id']}/added-work/{finding}/decision"
        r = await reception.client.post(url, headers=advisor, json={"version": ro["version"] - 1,
                                                                     "decision": "approve"})
        assert r.status_code == 409 and r.json()["current_version"] == ro["version"]
        r = await reception.client.post(f"/repair-orders/{ro['id']}/added-work/nope/decision", headers=advisor,
                                        json={"version": ro["version"], "decision": "approve"})
        assert r.status_code == 404 and r.json()["field"] == "finding_id"
        r = await reception.client.post(url, headers=advisor, json={"version": ro["version"], "decision": "decline"})
        assert r.status_code == 422 and r.json()["field"] == "signature"
        r = await reception.client.post(url, headers=advisor, json={"version": ro["version"], "decision": "approve",
                                                                    "flat_rate_hours": "-1"})
        assert r.status_code == 422 and r.json()["field"] == "flat_rate_hours"
        r = await reception.client.post(url, headers=advisor, json={"version": ro["version"], "decision": "approve"})
        assert r.status_code == 200, r.text
        approved = r.json()
        assert approved["estimate_version"] == 2 and len(approved["jobs"]) == 3
        new_job = approved["jobs"][-1]
        assert new_job["finding_id"] == finding and new_job["safety_related"]
        again = await reception.client.post(url, headers=advisor, json={"version": approved["version"],
                                                                         "decision": "approve"})
        assert again.status_code == 409 and again.json()["current_state"] == "approved"

        events = await upstream.events_for("reception.repair-orders", ro["id"],
                                           until=lambda ts: "AdditionalWorkApproved.v1" in ts)
        assert [e["type"] for e in events] == ["VehicleCheckedIn.v1", "RepairOrderOpened.v1",
                                               "AdditionalWorkApproved.v1"]
        data = events[-1]["data"]
        assert data["estimate_version"] == 2 and data["job"]["job_id"] == new_job["job_id"]
        assert Decimal(data["job"]["labour_amount"]) == Decimal("240.00")


async def test_settlement_then_delivery_publishes_invoiced_then_delivered_once(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store], user="adv-zhao")
    async with start_service("reception", clock=clock) as reception:
        vehicle, ro, appointment_id = await open_order(upstream, reception, advisor, store, first_service=True,
                                                       with_booking=True)
        booking = (await reception.client.get(f"/appointments/{appointment_id}", headers=advisor)).json()
        assert booking["state"] == "checked_in" and booking["repair_order_id"] == ro["id"]
        # a declined, safety-related finding, signed
        finding = str(uuid.uuid4())
        await upstream.publish(workshop.AdditionalWorkFound(
            repair_order_id=ro["id"], finding_id=finding, description="rear tyres near the wear bar",
            safety_related=True, estimated_hours=Decimal("0.5")), store=store, source="workshop")
        await wait_for(upstream, reception, advisor, ro["id"], lambda g: g["findings"])
        r = await reception.client.post(f"/repair-orders/{ro['id']}/added-work/{finding}/decision", headers=advisor,
                                        json={"version": ro["version"], "decision": "decline",
                                              "signature": SIGNATURE})
        assert r.status_code == 200, r.text
        version = r.json()["version"]

        # too early: 409 naming everything still missing; nothing published
        r = await reception.client.post(f"/repair-orders/{ro['id']}/invoice", headers=advisor,
                                        json={"version": version})
        assert r.status_code == 409, r.text
        missing = r.json()["missing"]
        assert "wash ordered but not done" in missing
        assert sum("has not passed the self, team_leader, final checks" in m for m in missing) == 2
        assert sum("not completed" in m for m in missing) == 2
        assert any(m.startswith("part OIL-5W30 not reconciled") for m in missing)

        for job in ro["jobs"]:
            await upstream.publish(workshop.JobCompleted(repair_order_id=ro["id"], job_id=job["job_id"],
                                                         clocked_hours=Decimal("0.9")), store=store, source="workshop")
        await upstream.publish(parts.PartsIssued(reference_id=ro["id"], issue_id="i1", lines=[
            PartLine(part_no="OIL-5W30", quantity=Decimal(5))]), store=store, source="parts")
        await upstream.publish(parts.PartsReturned(reference_id=ro["id"], issue_id="i1", reason="spare", lines=[
            PartLine(part_no="OIL-5W30", quantity=Decimal(1))]), store=store, source="parts")
        await three_checks(upstream, store, ro["id"], [j["job_id"] for j in ro["jobs"]])
        got = await wait_for(upstream, reception, advisor, ro["id"], lambda g: g["delivery_blockers"] == [
            "wash ordered but not done"])
        assert got["final_inspection_passed"]
        await upstream.publish(workshop.VehicleWashed(repair_order_id=ro["id"]), store=store, source="workshop")
        await wait_for(upstream, reception, advisor, ro["id"], lambda g: g["delivery_blockers"] == [])

        sheet = (await reception.client.get(f"/repair-orders/{ro['id']}/settlement", headers=advisor)).json()
        # customer: oil change 300 + 4 × 68 = 572, free as the first service; warranty: 1 h × 300
        assert {k: Decimal(v) for k, v in sheet["totals_by_pay_type"].items()} == {
            "customer": Decimal("0.00"), "warranty": Decimal("300.00")}
        assert Decimal(sheet["first_service_discount"]) == Decimal("572.00")
        assert Decimal(sheet["customer_total"]) == Decimal("0.00")
        assert sheet["declined_work"][0]["signature"]["name"] == "王伟"

        clock.advance(hours=5)
        r = await reception.client.post(f"/repair-orders/{ro['id']}/invoice", headers=advisor,
                                        json={"version": version})
        assert r.status_code == 200, r.text
        invoiced = r.json()
        assert invoiced["state"] == "invoiced" and invoiced["invoice_number"] == f"{store}-INV000001"
        assert invoiced["gate_pass"] == f"GP-{store}-INV000001"
        twice = await reception.client.post(f"/repair-orders/{ro['id']}/invoice", headers=advisor,
                                            json={"version": invoiced["version"]})
        assert twice.status_code == 409 and twice.json()["current_state"] == "invoiced"
        stale = await reception.client.post(f"/repair-orders/{ro['id']}/deliver", headers=advisor,
                                            json={"version": version})
        assert stale.status_code == 409 and stale.json()["current_version"] == invoiced["version"]
        r = await reception.client.post(f"/repair-orders/{ro['id']}/deliver", headers=advisor,
                                        json={"version": invoiced["version"], "odometer_out_km": 10004})
        assert r.status_code == 200 and r.json()["state"] == "delivered", r.text

        events = await upstream.events_for("reception.repair-orders", ro["id"],
                                           until=lambda ts: "VehicleDelivered.v1" in ts)
        assert [e["type"] for e in events] == ["VehicleCheckedIn.v1", "RepairOrderOpened.v1",
                                               "AdditionalWorkDeclined.v1", "RepairOrderInvoiced.v1",
                                               "VehicleDelivered.v1"]
        inv, delivered = events[3]["data"], events[4]["data"]
        assert inv["invoice_number"] == f"{store}-INV000001" and Decimal(inv["customer_total"]) == Decimal("0.00")
        assert delivered == {
            "repair_order_id": ro["id"], "vehicle_id": vehicle["vehicle_id"], "customer_id": vehicle["customer_id"],
            "advisor_id": "adv-zhao", "odometer_km": 10004, "next_service_date": "2027-06-01",
            "next_service_km": 15004, "declined_work": ["rear tyres near the wear bar"]}
        assert events[2]["data"]["declined_signature_ref"] == SIGNATURE["image_ref"]
        async with reception.runtime.sessions() as s:
            t = outbox_table()
            unpublished = await s.scalar(select(func.count()).select_from(t).where(
                t.c.aggregate_id == ro["id"], t.c.published_at.is_(None)))
        assert unpublished == 0

        # The audit trail from check-in to delivery: the advisor's commands and the workshop's facts, in order.
        supervisor = token(Role.FRONT_DESK_SUPERVISOR, stores=[store], user="fd-qian")
        assert (await reception.client.get(f"/repair-orders/{ro['id']}/history", headers=advisor)).status_code == 403
        trail = (await reception.client.get(f"/repair-orders/{ro['id']}/history", headers=supervisor)).json()
        commands = [e["command"] for e in trail]
        assert commands[:2] == ["check_in", "open_order"] and commands[-2:] == ["invoice", "deliver"]
        assert "decide_added_work" in commands
        by_advisor = [e for e in trail if e["actor_id"] == "adv-zhao"]
        assert {e["command"] for e in by_advisor} == {"check_in", "open_order", "decide_added_work", "invoice",
                                                      "deliver"}
        assert all(e["actor_stores"] == [store] and e["actor_roles"] == ["advisor"] for e in by_advisor)
        facts = [e for e in trail if e["actor_id"] != "adv-zhao"]
        assert facts and all(e["actor_id"].startswith("reception.") and e["actor_roles"] == ["system"]
                             for e in facts)
        delivery = trail[-1]
        assert delivery["changes"]["state"] == ["invoiced", "delivered"] and delivery["version"] == r.json()["version"]
        assert [e["version"] for e in trail] == sorted(e["version"] for e in trail)


async def test_second_first_service_is_not_free_and_same_job_soon_is_a_comeback(start_service, token, upstream,
                                                                                 clock):
    """Fast-forward one order to delivery, then the same vehicle comes back for the same job."""
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle, ro, _ = await open_order(upstream, reception, advisor, store, wash=False, first_service=True)
        for job in ro["jobs"]:
            await upstream.publish(workshop.JobCompleted(repair_order_id=ro["id"], job_id=job["job_id"],
                                                         clocked_hours=Decimal(1)), store=store, source="workshop")
        await upstream.publish(parts.PartsIssued(reference_id=ro["id"], issue_id="i", lines=[
            PartLine(part_no="OIL-5W30", quantity=Decimal(4))]), store=store, source="parts")
        await three_checks(upstream, store, ro["id"], [j["job_id"] for j in ro["jobs"]])
        await wait_for(upstream, reception, advisor, ro["id"], lambda g: g["delivery_blockers"] == [])
        inv = (await reception.client.post(f"/repair-orders/{ro['id']}/invoice", headers=advisor,
                                           json={"version": ro["version"]})).json()
        r = await reception.client.post(f"/repair-orders/{ro['id']}/deliver", headers=advisor,
                                        json={"version": inv["version"]})
        assert r.status_code == 200, r.text

        clock.advance(days=10)
        again = (await reception.client.post("/check-ins", headers=advisor, json={
            "store_id": store, "vehicle_id": vehicle["vehicle_id"], "vin": vehicle["vin"], "odometer_km": 10500,
            "covers_fitted": True, "customer_complaint": "oil leak after the service"})).json()
        r = await reception.client.post(f"/repair-orders/{again['id']}/open", headers=advisor, json={
            "version": 1, "payment_method": "cash", "old_parts": "store_keeps", "signature": SIGNATURE,
            "jobs": [{"operation_code": "OIL-CHG", "first_service": True}]})
        assert r.status_code == 200, r.text
        assert r.json()["comeback_of"] == ro["id"]
        sheet = (await reception.client.get(f"/repair-orders/{again['id']}/settlement", headers=advisor)).json()
        assert Decimal(sheet["first_service_discount"]) == Decimal("0.00")
        assert Decimal(sheet["customer_net"]) == Decimal("572.00")
        assert Decimal(sheet["tax"]) == Decimal("74.36") and Decimal(sheet["customer_total"]) == Decimal("646.36")
        assert datetime.fromisoformat(r.json()["opened_at"]) == datetime(2026, 12, 11, 10, tzinfo=SH)


async def test_the_parts_rooms_reservation_for_a_repair_order_shows_on_the_order(start_service, token, upstream,
                                                                                 clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        _, ro, _ = await open_order(upstream, reception, advisor, store)
        await upstream.publish(parts.PartsShortage(reference_id=ro["id"], reference_type="repair_order", lines=[
            parts.ShortLine(part_no="OIL-5W30", quantity=Decimal("4"), quantity_short=Decimal("1"),
                            expected_arrival=date(2026, 12, 3))]), store=store, source="parts")
        got = await wait_for(upstream, reception, advisor, ro["id"], lambda g: g["parts_availability"])
        assert got["parts_availability"]["OIL-5W30"]["status"] == "short"
        assert got["parts_availability"]["OIL-5W30"]["expected_arrival"] == "2026-12-03"
        await upstream.publish(parts.PartsReserved(reference_id=ro["id"], reference_type="repair_order", lines=[
            PartLine(part_no="OIL-5W30", quantity=Decimal("4"))]), store=store, source="parts")
        got = await wait_for(upstream, reception, advisor, ro["id"],
                             lambda g: g["parts_availability"]["OIL-5W30"]["status"] == "reserved")
        assert got["version"] == ro["version"], "a parts fact does not make the advisor's copy stale"
