"""Booking → AppointmentBooked; full workshop → next free slots; the parts shortage path; lists; bad input."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from reception.adapters.orm import LabourOperationReplica, PartReplica, VehicleReplica, WorkshopCapacityReplica
from shared.auth import Role
from shared.contracts import parts
from shared.contracts.common import PartLine
from shared.plumbing_tables import outbox_table
from sqlalchemy import func, select

SH = ZoneInfo("Asia/Shanghai")
TOMORROW = date(2026, 12, 2)


def at(day: date, hour: int) -> str:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH).isoformat()


async def setup(upstream, reception, store, *, oil_available="100", bays=2, hours="16", prewarning=False):
    vehicle = await upstream.vehicle(store, prewarning=prewarning)
    await upstream.operation(store, "OIL-CHG", "1.0", kit=[("OIL-5W30", "4"), ("FLT-01", "1")])
    await upstream.part(store, "OIL-5W30", available=oil_available, price="68.00")
    await upstream.part(store, "FLT-01", available="10", price="45.50")
    for d in (TOMORROW, TOMORROW + timedelta(days=1)):
        await upstream.capacity(store, d, bays, hours)
    await upstream.replicated(reception, VehicleReplica, vehicle["vehicle_id"])
    await upstream.replicated(reception, LabourOperationReplica, ("dg-test", store, "OIL-CHG"))
    await upstream.replicated(reception, WorkshopCapacityReplica, ("dg-test", store, TOMORROW + timedelta(days=1)))

    async def stocked():
        async with reception.runtime.sessions() as s:
            rows = [await s.get(PartReplica, ("dg-test", store, p)) for p in ("OIL-5W30", "FLT-01")]
            return all(r is not None and r.available is not None and r.retail_price is not None for r in rows)
    assert await upstream.eventually(stocked)
    return vehicle


async def outbox_count(reception):
    async with reception.runtime.sessions() as s:
        return await s.scalar(select(func.count()).select_from(outbox_table()))


async def test_booking_publishes_appointment_booked_once_and_parts_reserved_shows_ready(
        start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup(upstream, reception, store)
        r = await reception.client.post("/appointments", headers=advisor, json={
            "store_id": store, "vehicle_id": vehicle["vehicle_id"], "slot_start": at(TOMORROW, 9),
            "jobs": [{"operation_code": "OIL-CHG"}, {"description": "空调异味", "flat_rate_hours": "0.5"}]})
        assert r.status_code == 201, r.text
        a = r.json()
        # rough estimate: 1.5 h × 300 + 4 × 68.00 + 45.50
        assert Decimal(a["estimated_total"]) == Decimal("767.50")
        assert a["parts_status"] == "in_stock" and not a["parts_ready"] and a["warranty_path"] is False
        assert a["parties_to_confirm"] == ["workshop", "parts"]

        events = await upstream.events_for("reception.appointments", a["id"],
                                           until=lambda ts: "AppointmentBooked.v1" in ts)
        assert [e["type"] for e in events] == ["AppointmentBooked.v1"]
        booked = events[0]["data"]
        assert booked["vehicle_id"] == vehicle["vehicle_id"] and booked["customer_id"] == vehicle["customer_id"]
        assert {p["part_no"] for p in booked["parts"]} == {"OIL-5W30", "FLT-01"}

        # parts picks them onto the reserved shelf
        await upstream.publish(parts.PartsReserved(reference_id=a["id"], reference_type="appointment", lines=[
            PartLine(part_no="OIL-5W30", quantity=Decimal(4)), PartLine(part_no="FLT-01", quantity=Decimal(1))]),
            store=store, source="parts")

        async def ready():
            got = (await reception.client.get(f"/appointments/{a['id']}", headers=advisor)).json()
            return got if got["parts_ready"] else None
        got = await upstream.eventually(ready)
        assert got and got["parts_status"] == "reserved" and got["version"] == a["version"]

        # before close of business: tomorrow's bookings to confirm
        todo = (await reception.client.get("/appointments/to-confirm", params={"store_id": store},
                                           headers=advisor)).json()
        assert [x["id"] for x in todo] == [a["id"]]
        v = a["version"]
        for party in ("workshop", "parts"):
            r = await reception.client.post(f"/appointments/{a['id']}/confirm", headers=advisor,
                                            json={"version": v, "party": party})
            assert r.status_code == 200, r.text
            v = r.json()["version"]
        assert (await reception.client.get("/appointments/to-confirm", params={"store_id": store},
                                           headers=advisor)).json() == []
        # one hour before the slot: call the customer
        clock.set(datetime(2026, 12, 2, 8, 10, tzinfo=SH))
        calls = (await reception.client.get("/appointments/to-call", params={"store_id": store},
                                            headers=advisor)).json()
        assert [x["id"] for x in calls] == [a["id"]]
        events = await upstream.events_for("reception.appointments", a["id"],
                                           until=lambda ts: ts.count("AppointmentConfirmed.v1") >= 2)
        assert [e["type"] for e in events] == ["AppointmentBooked.v1"] + ["AppointmentConfirmed.v1"] * 2


async def test_full_workshop_answers_with_the_next_free_slots(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.CUSTOMER_CARE, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup(upstream, reception, store, bays=1, hours="3")
        body = {"store_id": store, "vehicle_id": vehicle["vehicle_id"], "slot_start": at(TOMORROW, 9),
                "jobs": [{"description": "保养", "flat_rate_hours": "1.5"}]}
        first = await reception.client.post("/appointments", headers=advisor, json=body)
        assert first.status_code == 201, first.text
        r = await reception.client.post("/appointments", headers=advisor, json=body)
        assert r.status_code == 409 and "bays" in r.json()["detail"], r.text
        slots = [s["slot_start"] for s in r.json()["next_free_slots"]]
        # from the day and time asked for on (08:00 is before it), nearest first
        assert slots == [at(TOMORROW, 10), at(TOMORROW, 11), at(TOMORROW, 12)]
        r = await reception.client.post("/appointments", headers=advisor, json=body | {"slot_start": at(TOMORROW, 11)})
        assert r.status_code == 201
        r = await reception.client.post("/appointments", headers=advisor, json=body | {"slot_start": at(TOMORROW, 14)})
        assert r.status_code == 409 and "technician hours" in r.json()["detail"]
        # the next day, at the time of day asked for first
        assert r.json()["next_free_slots"][0]["slot_start"] == at(TOMORROW + timedelta(days=1), 14)
        # the workshop published capacity for two days only: the others are named
        closed = r.json()["days_without_capacity"]
        assert closed[0] == (TOMORROW + timedelta(days=2)).isoformat() and len(closed) == 13
        far = TOMORROW + timedelta(days=5)
        r = await reception.client.post("/appointments", headers=advisor, json=body | {"slot_start": at(far, 9)})
        assert r.status_code == 409 and "published no capacity" in r.json()["detail"], r.text
        assert r.json()["next_free_slots"] == [] and r.json()["days_without_capacity"][0] == far.isoformat()


async def test_shortage_path_wait_for_parts_then_parts_report_shortage_and_reservation(
        start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup(upstream, reception, store, oil_available="1")
        body = {"store_id": store, "vehicle_id": vehicle["vehicle_id"], "slot_start": at(TOMORROW, 9),
                "jobs": [{"operation_code": "OIL-CHG"}]}
        before = await outbox_count(reception)
        r = await reception.client.post("/appointments", headers=advisor, json=body)
        assert r.status_code == 409, r.text
        assert r.json()["missing"] == [{"part_no": "OIL-5W30", "needed": "4", "available": "1.000",
                                        "expected_arrival": None}]
        assert r.json()["choices"] == ["wait", "rebook"]
        arrival = (TOMORROW + timedelta(days=1)).isoformat()
        r = await reception.client.post("/appointments", headers=advisor,
                                        json=body | {"parts_decision": "wait", "parts_expected_on": arrival})
        assert r.status_code == 422 and r.json()["field"] == "slot_start"
        assert await outbox_count(reception) == before
        r = await reception.client.post("/appointments", headers=advisor, json=body | {
            "parts_decision": "wait", "parts_expected_on": arrival,
            "slot_start": at(TOMORROW + timedelta(days=1), 10)})
        assert r.status_code == 201, r.text
        a = r.json()
        assert a["parts_status"] == "awaiting_arrival" and a["parts_expected_on"] == arrival
        assert a["short_parts"][0]["part_no"] == "OIL-5W30"

        await upstream.publish(parts.PartsShortage(reference_id=a["id"], reference_type="appointment", lines=[
            parts.ShortLine(part_no="OIL-5W30", quantity=Decimal(4), quantity_short=Decimal(3),
                            expected_arrival=date(2026, 12, 3))]), store=store, source="parts")

        async def status(want):
            got = (await reception.client.get(f"/appointments/{a['id']}", headers=advisor)).json()
            return got if got["parts_status"] == want else None
        short = await upstream.eventually(lambda: status("short"))
        assert short and not short["parts_ready"] and short["parts_expected_on"] == "2026-12-03"
        await upstream.publish(parts.PartsReserved(reference_id=a["id"], reference_type="appointment",
                                                   lines=[PartLine(part_no="OIL-5W30", quantity=Decimal(4))]),
                               store=store, source="parts")
        assert await upstream.eventually(lambda: status("reserved"))
        events = await upstream.events_for("reception.appointments", a["id"],
                                           until=lambda ts: "AppointmentBooked.v1" in ts)
        assert [e["type"] for e in events] == ["AppointmentBooked.v1"]


async def test_warranty_prewarning_routes_to_the_supervisor(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup(upstream, reception, store, prewarning=True)
        r = await reception.client.post("/appointments", headers=advisor, json={
            "store_id": store, "vehicle_id": vehicle["vehicle_id"], "slot_start": at(TOMORROW, 9),
            "jobs": [{"description": "变速箱顿挫", "flat_rate_hours": "2"}]})
        assert r.status_code == 201, r.text
        assert r.json()["warranty_path"] and r.json()["routed_to"] == "front_desk_supervisor"
        assert r.json()["parties_to_confirm"] == ["workshop", "claims"]
        board = (await reception.client.get("/appointments", headers=advisor, params={
            "store_id": store, "day": TOMORROW.isoformat(), "warranty_path": "true"})).json()
        assert [x["id"] for x in board] == [r.json()["id"]]
        events = await upstream.events_for("reception.appointments", r.json()["id"],
                                           until=lambda ts: "AppointmentBooked.v1" in ts)
        assert events[0]["data"]["warranty_path"] is True


async def test_reschedule_cancel_no_show_and_bad_input(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup(upstream, reception, store)
        body = {"store_id": store, "vehicle_id": vehicle["vehicle_id"], "slot_start": at(TOMORROW, 9),
                "jobs": [{"operation_code": "OIL-CHG"}]}
        before = await outbox_count(reception)
        bad = [
            ({"slot_start": "2026-12-01T09:00:00+08:00"}, "slot_start", "past"),
            ({"slot_start": at(TOMORROW, 19)}, "slot_start", "working hours"),
            ({"jobs": [{"operation_code": "NOPE"}]}, "jobs[0].operation_code", "unknown"),
            ({"jobs": [{"description": "x", "flat_rate_hours": "-2"}]}, "jobs[0].flat_rate_hours", "negative"),
        ]
        for extra, field, words in bad:
            r = await reception.client.post("/appointments", headers=advisor, json=body | extra)
            assert r.status_code == 422 and r.json()["field"] == field and words in r.json()["detail"], r.text
        r = await reception.client.post("/appointments", headers=advisor,
                                        json=body | {"vehicle_id": str(uuid.uuid4())})
        assert r.status_code == 404 and r.json()["field"] == "vehicle_id"
        assert await outbox_count(reception) == before

        a = (await reception.client.post("/appointments", headers=advisor, json=body)).json()
        r = await reception.client.post(f"/appointments/{a['id']}/reschedule", headers=advisor,
                                        json={"version": a["version"], "slot_start": at(TOMORROW, 15)})
        assert r.status_code == 200 and r.json()["slot_start"] == at(TOMORROW, 15), r.text
        stale = await reception.client.post(f"/appointments/{a['id']}/cancel", headers=advisor,
                                             json={"version": a["version"], "reason": "x"})
        assert stale.status_code == 409 and stale.json()["current_version"] == r.json()["version"]
        early = await reception.client.post(f"/appointments/{a['id']}/no-show", headers=advisor,
                                            json={"version": r.json()["version"]})
        assert early.status_code == 409
        clock.set(datetime(2026, 12, 2, 15, 30, tzinfo=SH))
        ns = await reception.client.post(f"/appointments/{a['id']}/no-show", headers=advisor,
                                         json={"version": r.json()["version"]})
        assert ns.status_code == 200 and ns.json()["state"] == "no_show"
        again = await reception.client.post(f"/appointments/{a['id']}/cancel", headers=advisor,
                                            json={"version": ns.json()["version"], "reason": "x"})
        assert again.status_code == 409 and again.json()["current_state"] == "no_show"
        events = await upstream.events_for("reception.appointments", a["id"],
                                           until=lambda ts: "AppointmentNoShow.v1" in ts)
        assert [e["type"] for e in events] == ["AppointmentBooked.v1", "AppointmentRescheduled.v1",
                                               "AppointmentNoShow.v1"]


async def test_rebook_for_a_missing_part_is_recorded_with_the_slots_to_offer(start_service, token, upstream, clock):
    store = upstream.new_store()
    advisor = token(Role.ADVISOR, stores=[store])
    async with start_service("reception", clock=clock) as reception:
        vehicle = await setup(upstream, reception, store, oil_available="1", bays=1)
        body = {"store_id": store, "vehicle_id": vehicle["vehicle_id"], "slot_start": at(TOMORROW, 9),
                "jobs": [{"operation_code": "OIL-CHG"}], "parts_decision": "rebook"}
        r = await reception.client.post("/appointments", headers=advisor, json=body)
        assert r.status_code == 201, r.text
        a = r.json()
        assert a["state"] == "to_rebook" and a["parts_decision"] == "rebook" and a["parts_status"] == "short"
        assert a["short_parts"][0]["part_no"] == "OIL-5W30" and not a["parts_ready"]
        assert [s["slot_start"] for s in a["slots_to_offer"]] == [at(TOMORROW, 9), at(TOMORROW, 10),
                                                                   at(TOMORROW, 11)]
        got = (await reception.client.get(f"/appointments/{a['id']}", headers=advisor)).json()
        assert got["state"] == "to_rebook"  # recorded
        # it holds no slot: another car takes the only bay at 09:00
        other = await upstream.vehicle(store)
        await upstream.replicated(reception, VehicleReplica, other["vehicle_id"])
        r = await reception.client.post("/appointments", headers=advisor, json={
            "store_id": store, "vehicle_id": other["vehicle_id"], "slot_start": at(TOMORROW, 9),
            "jobs": [{"description": "wash", "flat_rate_hours": "0.5"}]})
        assert r.status_code == 201, r.text
        r = await reception.client.post(f"/appointments/{a['id']}/confirm", headers=advisor,
                                        json={"version": a["version"], "party": "workshop"})
        assert r.status_code == 409 and r.json()["current_state"] == "to_rebook"
        # the customer picks an offered slot: the booking is made and published
        r = await reception.client.post(f"/appointments/{a['id']}/reschedule", headers=advisor,
                                        json={"version": a["version"], "slot_start": at(TOMORROW, 10)})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "booked" and r.json()["slots_to_offer"] == []
        events = await upstream.events_for("reception.appointments", a["id"],
                                           until=lambda ts: "AppointmentBooked.v1" in ts)
        assert [e["type"] for e in events] == ["AppointmentBooked.v1"]
        assert events[0]["data"]["slot_start"] == at(TOMORROW, 10)
