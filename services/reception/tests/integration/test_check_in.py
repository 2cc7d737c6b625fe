"""Check-in → VehicleCheckedIn, the signed repair order → RepairOrderOpened; first visit; bad input."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from reception.adapters.orm import CustomerReplica, LabourOperationReplica, PartReplica, VehicleReplica
from shared.auth import Role
from shared.contracts import crm
from shared.plumbing_tables import outbox_table
from sqlalchemy import func, select

SH = ZoneInfo("Asia/Shanghai")
SIGNATURE = {"name": "王伟", "image_ref": "blob://signatures/abc.png"}


def sheet(store, vehicle, **kw):
    return {"store_id": store, "vehicle_id": vehicle["vehicle_id"], "vin": vehicle["vin"].lower(),
            "odometer_km": 12345, "fuel_level": "0.5", "covers_fitted": True,
            "damage_marks": [{"zone": "left_front_door", "kind": "scratch", "photo_refs": ["blob://p/1.jpg"]}],
            "spare_tyre": "present", "valuables": ["sunglasses"], "customer_complaint": "刹车异响",
            "inspection": [{"item": "front brake pads", "rating": "red", "note": "2 mm"},
                           {"item": "wipers", "rating": "green"}]} | kw


async def setup_store(upstream, reception, store):
    vehicle = await upstream.vehicle(store)
    await upstream.operation(store, "OIL-CHG", "1.0", kit=[("OIL-5W30", "4"), ("FLT-01", "1")],
                             description="oil and filter change")
    await upstream.part(store, "OIL-5W30", available="100", price="68.00")
    await upstream.part(store, "FLT-01", available="10", price="45.50")
    await upstream.replicated(reception, VehicleReplica, vehicle["vehicle_id"])
    await upstream.replicated(reception, LabourOperationReplica, ("dg-test", store, "OIL-CHG"))
    await upstream.replicated(reception, PartReplica, ("dg-test", store, "FLT-01"))
    await upstream.eventually(lambda: _priced(reception, store, "FLT-01"))
    return vehicle


async def _priced(reception, store, part_no):
    async with reception.runtime.sessions() as s:
        row = await s.get(PartReplica, ("dg-test", store, part_no))
        return row is not None and row.retail_price is not None and row.available is not None


async def outbox_count(reception, aggregate_id=None):
    t = outbox_table()
    async with reception.runtime.sessions() as s:
        q = select(func.count()).select_from(t)
        if aggregate_id:
            q = q.where(t.c.aggregate_id == aggregate_id)
        return await s.scalar(q)


async def test_check_in_then_signed_order_publishes_checked_in_and_opened_once(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store], user="adv-li")
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup_store(upstream, reception, store)
        r = await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle))
        assert r.status_code == 201, r.text
        ro = r.json()
        assert ro["state"] == "checked_in" and ro["version"] == 1
        assert ro["check_in"]["vin"] == vehicle["vin"] and ro["customer_id"] == vehicle["customer_id"]
        assert ro["recommended_work"][0]["description"] == "front brake pads"

        r = await reception.client.post(f"/repair-orders/{ro['id']}/open", headers=advisor, json={
            "version": 1, "payment_method": "wechat", "old_parts": "customer_keeps", "wash": True,
            "transport": "waits", "signature": SIGNATURE,
            "jobs": [{"operation_code": "OIL-CHG"},
                     {"description": "检查刹车异响", "flat_rate_hours": "0.5", "safety_related": True},
                     {"description": "warranty: window regulator", "flat_rate_hours": "1.2", "pay_type": "warranty",
                      "parts": [{"part_no": "WIN-REG", "quantity": "1", "unit_price": "820.00"}]}],
            "materials": [{"description": "brake cleaner", "amount": "15.00"}]})
        assert r.status_code == 200, r.text
        opened = r.json()
        assert opened["state"] == "open" and opened["version"] == 2 and opened["number"].startswith(store)
        assert opened["signature"]["name"] == "王伟" and opened["signature"]["signed_at"]
        est = opened["estimate"]
        # labour (1.0 + 0.5 + 1.2) h × 300 = 810; parts 4×68 + 45.50 + 820 = 1137.50; materials 15
        assert Decimal(est["labour"]) == Decimal("810.00")
        assert Decimal(est["parts"]) == Decimal("1137.50")
        assert Decimal(est["total"]) == Decimal("1962.50")
        assert {k: Decimal(v) for k, v in est["by_pay_type"].items()} == {
            "customer": Decimal("782.50"), "warranty": Decimal("1180.00")}
        # promised from hours and load: 2.7 h of work from 10:00 with an empty shop
        assert datetime.fromisoformat(opened["promised_at"]) == datetime(2026, 12, 1, 12, 42, tzinfo=SH)

        events = await upstream.events_for("reception.repair-orders", ro["id"],
                                           until=lambda ts: "RepairOrderOpened.v1" in ts)
        types = [e["type"] for e in events]
        assert types == ["VehicleCheckedIn.v1", "RepairOrderOpened.v1"]
        opened_ev = events[1]["data"]
        assert [j["operation_code"] for j in opened_ev["jobs"]] == ["OIL-CHG", None, None]
        assert Decimal(opened_ev["jobs"][0]["labour_amount"]) == Decimal("300.00")
        assert opened_ev["wash"] is True and opened_ev["advisor_id"] == "adv-li"
        assert [j["job_id"] for j in opened_ev["jobs"]] == [j["job_id"] for j in opened["jobs"]]


async def test_first_visit_records_customer_and_vehicle_for_crm(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    vin = upstream.new_vin()
    async with start_service("reception", clock=clock) as reception:
        r = await reception.client.post("/check-ins", headers=advisor, json={
            "store_id": store, "vin": vin, "plate": "粤b88888", "odometer_km": 300, "covers_fitted": True,
            "customer_complaint": "first service", "first_visit": {
                "customer": {"name": "陈静", "phones": ["13911112222"]}, "vehicle": {"model": "Tiguan L"}}})
        assert r.status_code == 201, r.text
        ro = r.json()
        # Known to reception at once, before crm answers.
        v = await reception.client.get(f"/vehicles/{ro['vehicle_id']}", headers=advisor)
        assert v.status_code == 200 and v.json()["owner"]["name"] == "陈静" and v.json()["plate"] == "粤B88888"
        events = await upstream.events_for("reception.repair-orders", ro["id"],
                                           until=lambda ts: "VehicleCheckedIn.v1" in ts)
        assert [e["type"] for e in events] == ["WalkInCustomerRecorded.v1", "VehicleCheckedIn.v1"]
        walk_in = events[0]["data"]
        assert walk_in["vehicle_id"] == ro["vehicle_id"] and walk_in["customer_id"] == ro["customer_id"]
        assert walk_in["vin"] == vin
        # The same VIN again as a "first visit" is refused, naming the vehicle it already is.
        again = await reception.client.post("/check-ins", headers=advisor, json={
            "store_id": store, "vin": vin, "odometer_km": 400, "covers_fitted": True, "customer_complaint": "x",
            "first_visit": {"customer": {"name": "陈静", "phones": ["13911112222"]}}})
        assert again.status_code == 409 and again.json()["existing_vehicle_id"] == ro["vehicle_id"]


async def test_a_walk_in_crm_already_knew_takes_crms_ids_and_drops_receptions_copies(
        start_service, token, upstream, clock):
    """crm kept its customer (the phone) and its vehicle (the VIN) for a walk-in: WalkInMatched re-points the
    order to crm's ids; the copies reception made under its own ids go; the same event twice changes nothing."""
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        r = await reception.client.post("/check-ins", headers=advisor, json={
            "store_id": store, "vin": upstream.new_vin(), "odometer_km": 300, "covers_fitted": True,
            "customer_complaint": "异响", "first_visit": {
                "customer": {"name": "陈静", "phones": ["13911113333"]}, "vehicle": {"model": "Tiguan L"}}})
        assert r.status_code == 201, r.text
        ro = r.json()
        kept = await upstream.vehicle(store)  # crm's records (CustomerRegistered, VehicleRegistered)
        await upstream.replicated(reception, VehicleReplica, kept["vehicle_id"])
        matched = crm.WalkInMatched(repair_order_id=ro["id"], customer_id=kept["customer_id"],
                                    walk_in_customer_id=ro["customer_id"], vehicle_id=kept["vehicle_id"],
                                    walk_in_vehicle_id=ro["vehicle_id"])
        for _ in range(2):
            await upstream.publish(matched, store=store, source="crm")

        async def re_pointed():
            got = (await reception.client.get(f"/repair-orders/{ro['id']}", headers=advisor)).json()
            return got if got["vehicle_id"] == kept["vehicle_id"] else None

        got = await upstream.eventually(re_pointed)
        assert got and got["customer_id"] == kept["customer_id"], got
        assert (await reception.client.get(f"/vehicles/{ro['vehicle_id']}", headers=advisor)).status_code == 404
        async with reception.runtime.sessions() as s:
            assert await s.get(CustomerReplica, ro["customer_id"]) is None
        v = (await reception.client.get(f"/vehicles/{kept['vehicle_id']}", headers=advisor)).json()
        assert v["owner"]["customer_id"] == kept["customer_id"], v


async def test_bad_input_is_refused_naming_the_field_and_nothing_changes(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup_store(upstream, reception, store)
        before = await outbox_count(reception)
        bad_vins = {"LSVAU2180N218329": "17 characters", "LSVAU2180N218329O": "I, O or Q",
                    "LSVAU2181N2183294": "check digit"}
        for vin, words in bad_vins.items():
            r = await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle, vin=vin))
            assert r.status_code == 422 and r.json()["field"] == "vin" and words in r.json()["detail"], r.text
        other = upstream.new_vin()
        r = await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle, vin=other))
        assert r.status_code == 422 and "does not match" in r.json()["detail"]
        r = await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle, odometer_km=50))
        assert r.status_code == 422 and r.json()["field"] == "odometer_km"
        r = await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle, covers_fitted=False))
        assert r.status_code == 422 and r.json()["field"] == "covers_fitted"
        r = await reception.client.post("/check-ins", headers=advisor,
                                        json=sheet(store, vehicle, vehicle_id=str(uuid.uuid4())))
        assert r.status_code == 404 and r.json()["field"] == "vehicle_id"
        r = await reception.client.post("/check-ins", headers=token(Role.ADVISOR, stores=["elsewhere"]),
                                        json=sheet(store, vehicle))
        assert r.status_code == 403
        r = await reception.client.post("/check-ins", headers=token(Role.TECHNICIAN, stores=[store]),
                                        json=sheet(store, vehicle))
        assert r.status_code == 403
        assert await outbox_count(reception) == before

        ro = (await reception.client.post("/check-ins", headers=advisor, json=sheet(store, vehicle))).json()
        after_check_in = await outbox_count(reception)
        order = {"version": 1, "payment_method": "cash", "old_parts": "store_keeps", "signature": SIGNATURE}
        cases = [
            ({"jobs": [{"operation_code": "NO-SUCH-OP"}]}, 422, "jobs[0].operation_code"),
            ({"jobs": [{"operation_code": "OIL-CHG"}, {"description": "x", "flat_rate_hours": "-1"}]}, 422,
             "jobs[1].flat_rate_hours"),
            ({"jobs": [{"description": "diagnose"}]}, 422, "jobs[0].flat_rate_hours"),
            ({"jobs": [{"operation_code": "OIL-CHG"}], "version": 7}, 409, None),
        ]
        for extra, status, field in cases:
            r = await reception.client.post(f"/repair-orders/{ro['id']}/open", headers=advisor, json=order | extra)
            assert r.status_code == status, r.text
            if field:
                assert r.json()["field"] == field
            else:
                assert r.json()["current_version"] == 1
        r = await reception.client.post(f"/repair-orders/{ro['id']}/invoice", headers=advisor, json={"version": 1})
        assert r.status_code == 409 and r.json()["current_state"] == "checked_in"
        r = await reception.client.post(f"/repair-orders/{uuid.uuid4()}/open", headers=advisor,
                                        json=order | {"jobs": [{"operation_code": "OIL-CHG"}]})
        assert r.status_code == 404
        assert await outbox_count(reception) == after_check_in
        got = (await reception.client.get(f"/repair-orders/{ro['id']}", headers=advisor)).json()
        assert got["state"] == "checked_in" and got["version"] == 1 and got["jobs"] == []
        assert date.fromisoformat(got["check_in"]["checked_in_at"][:10]) == date(2026, 12, 1)


async def test_retried_check_in_with_the_same_idempotency_key_changes_nothing(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup_store(upstream, reception, store)
        first = await reception.client.post("/check-ins", headers=advisor | key, json=sheet(store, vehicle))
        again = await reception.client.post("/check-ins", headers=advisor | key, json=sheet(store, vehicle))
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"] and again.headers.get("Idempotent-Replayed") == "true"
        assert await outbox_count(reception, first.json()["id"]) == 1
        naive = await reception.client.post(f"/repair-orders/{first.json()['id']}/open", headers=advisor, json={
            "version": 1, "payment_method": "cash", "old_parts": "store_keeps", "signature": SIGNATURE,
            "jobs": [{"operation_code": "OIL-CHG"}], "promised_at": "2026-12-01T18:00:00"})
        assert naive.status_code == 422 and naive.json()["field"] == "promised_at"
