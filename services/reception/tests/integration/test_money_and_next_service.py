"""Over HTTP: the estimate, the settlement sheet and the invoice add up to the cent; the settlement sheet and
the delivery tell the next service date and mileage."""

from __future__ import annotations

from decimal import Decimal

from shared.auth import Role
from shared.contracts import parts, workshop
from shared.contracts.common import PartLine

from .test_added_work_and_delivery import SIGNATURE, three_checks, wait_for
from .test_check_in import setup_store


def d(x) -> Decimal:
    return Decimal(x)


async def test_sheets_add_up_to_the_cent_and_tell_the_next_service(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup_store(upstream, reception, store)
        r = await reception.client.post("/check-ins", headers=advisor, json={
            "store_id": store, "vehicle_id": vehicle["vehicle_id"], "vin": vehicle["vin"], "odometer_km": 12345,
            "covers_fitted": True, "customer_complaint": "service"})
        ro = r.json()
        r = await reception.client.post(f"/repair-orders/{ro['id']}/open", headers=advisor, json={
            "version": 1, "payment_method": "cash", "old_parts": "store_keeps", "signature": SIGNATURE,
            "jobs": [{"operation_code": "OIL-CHG"},
                     {"description": "rattle", "flat_rate_hours": "1.111", "pay_type": "warranty"}],
            "materials": [{"description": "oil top-up", "amount": "35.50"},
                          {"description": "cleaner", "amount": "12.345"},
                          {"description": "grease", "amount": "7.125", "pay_type": "warranty"}]})
        assert r.status_code == 200, r.text
        ro = r.json()
        est = ro["estimate"]
        assert d(est["materials"]) == d("54.98")  # 35.50 + 12.35 + 7.13, each line rounded once
        assert d(est["total"]) == sum(d(v) for v in est["by_pay_type"].values())
        assert d(est["total"]) == d(est["labour"]) + d(est["parts"]) + d(est["materials"])

        sheet = (await reception.client.get(f"/repair-orders/{ro['id']}/settlement", headers=advisor)).json()
        lines = sheet["lines"]
        assert sum(d(ln["amount"]) for ln in lines if ln["kind"] == "material") == d(est["materials"])
        for pay, share in sheet["totals_by_pay_type"].items():
            assert d(share) == sum(d(ln["amount"]) for ln in lines if ln["pay_type"] == pay)
            assert d(share) == d(est["by_pay_type"][pay])
        assert d(sheet["customer_total"]) == d(sheet["customer_net"]) + d(sheet["tax"])
        # the next service as delivery would compute it: today + 6 months, odometer + 5000 km
        assert sheet["next_service_date"] == "2027-06-01" and sheet["next_service_km"] == 17345

        for job in ro["jobs"]:
            await upstream.publish(workshop.JobCompleted(repair_order_id=ro["id"], job_id=job["job_id"],
                                                         clocked_hours=Decimal(1)), store=store, source="workshop")
        await upstream.publish(parts.PartsIssued(reference_id=ro["id"], issue_id="i", lines=[
            PartLine(part_no="OIL-5W30", quantity=Decimal(4)), PartLine(part_no="FLT-01", quantity=Decimal(1))]),
            store=store, source="parts")
        await three_checks(upstream, store, ro["id"], [j["job_id"] for j in ro["jobs"]])
        await wait_for(upstream, reception, advisor, ro["id"], lambda g: g["delivery_blockers"] == [])
        r = await reception.client.post(f"/repair-orders/{ro['id']}/invoice", headers=advisor,
                                        json={"version": ro["version"]})
        assert r.status_code == 200, r.text
        invoiced = r.json()
        assert invoiced["settlement"]["totals_by_pay_type"] == sheet["totals_by_pay_type"]
        events = await upstream.events_for("reception.repair-orders", ro["id"],
                                           until=lambda ts: "RepairOrderInvoiced.v1" in ts)
        inv = next(e["data"] for e in events if e["type"] == "RepairOrderInvoiced.v1")
        assert {k: d(v) for k, v in inv["totals_by_pay_type"].items()} == {
            k: d(v) for k, v in sheet["totals_by_pay_type"].items()}
        assert d(inv["customer_total"]) == d(inv["totals_by_pay_type"]["customer"]) + d(inv["tax"])

        r = await reception.client.post(f"/repair-orders/{ro['id']}/deliver", headers=advisor,
                                        json={"version": invoiced["version"], "odometer_out_km": 12350})
        assert r.status_code == 200, r.text
        delivered = r.json()
        assert delivered["next_service_date"] == "2027-06-01" and delivered["next_service_km"] == 17350
        sheet = (await reception.client.get(f"/repair-orders/{ro['id']}/settlement", headers=advisor)).json()
        assert sheet["next_service_date"] == "2027-06-01" and sheet["next_service_km"] == 17350
        events = await upstream.events_for("reception.repair-orders", ro["id"],
                                           until=lambda ts: "VehicleDelivered.v1" in ts)
        out = next(e["data"] for e in events if e["type"] == "VehicleDelivered.v1")
        assert (out["next_service_date"], out["next_service_km"]) == ("2027-06-01", 17350)
