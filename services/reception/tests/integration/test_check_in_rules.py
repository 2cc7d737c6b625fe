"""Check-in rules over HTTP: the plate against the record, one open order per vehicle, the highest odometer."""

from __future__ import annotations

from decimal import Decimal

from shared.auth import Role
from shared.contracts import parts, workshop
from shared.contracts.common import PartLine

from .test_added_work_and_delivery import open_order, three_checks, wait_for
from .test_check_in import outbox_count, setup_store, sheet


async def test_a_changed_plate_needs_confirming_and_a_second_order_is_refused(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup_store(upstream, reception, store)  # crm's record: 沪A12345
        before = await outbox_count(reception)
        r = await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle, plate="沪B99999"))
        assert r.status_code == 409 and r.json()["field"] == "plate", r.text
        assert r.json()["plate_on_record"] == "沪A12345" and r.json()["plate_at_check_in"] == "沪B99999"
        assert await outbox_count(reception) == before
        r = await reception.client.post("/check-ins", headers=advisor, json=sheet(
            store, vehicle, plate="沪B99999", confirm_plate_change=True))
        assert r.status_code == 201, r.text
        first = r.json()
        assert first["check_in"]["plate"] == "沪B99999"
        assert first["check_in"]["plate_mismatch"] == {"on_record": "沪A12345", "at_check_in": "沪B99999"}

        r = await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle))
        assert r.status_code == 409 and r.json()["field"] == "vehicle_id", r.text
        assert r.json()["open_repair_order_id"] == first["id"] and r.json()["current_state"] == "checked_in"
        r = await reception.client.post(f"/repair-orders/{first['id']}/cancel", headers=advisor,
                                        json={"version": first["version"], "reason": "wrong car"})
        assert r.status_code == 200, r.text
        r = await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle))
        assert r.status_code == 201 and r.json()["check_in"]["plate_mismatch"] is None, r.text


async def test_odometer_checked_against_readings_reception_took_itself(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        # crm's record says 9000 km; reception checked the car in at 10000 km
        vehicle, ro, _ = await open_order(upstream, reception, advisor, store, wash=False)
        r = await reception.client.post("/check-ins", headers=advisor, json={
            "store_id": store, "vehicle_id": vehicle["vehicle_id"], "vin": vehicle["vin"], "odometer_km": 10010,
            "covers_fitted": True, "customer_complaint": "another job"})
        assert r.status_code == 409 and r.json()["open_repair_order_number"] == ro["number"], r.text
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
                                        json={"version": inv["version"], "odometer_out_km": 10050})
        assert r.status_code == 200, r.text

        clock.advance(days=1)
        visit = {"store_id": store, "vehicle_id": vehicle["vehicle_id"], "vin": vehicle["vin"],
                 "covers_fitted": True, "customer_complaint": "noise"}
        r = await reception.client.post("/check-ins", headers=advisor, json=visit | {"odometer_km": 10020})
        assert r.status_code == 422 and r.json()["field"] == "odometer_km", r.text
        assert r.json()["last_odometer_km"] == 10050 and ro["number"] in r.json()["detail"]
        r = await reception.client.post("/check-ins", headers=advisor, json=visit | {"odometer_km": 10060})
        assert r.status_code == 201, r.text
