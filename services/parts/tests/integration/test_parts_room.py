"""parts on real PostgreSQL and Kafka: the last unit issued twice at once, a booking delivered twice,
receiving with a shortfall, bad input changing nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest_asyncio
from aiokafka import AIOKafkaProducer
from parts.adapters.orm import RepairOrderCopyRow
from parts.adapters.repository import Demands
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.contracts import reception, workshop
from shared.contracts.common import PartLine, PayType, RepairJob, RequestedJob
from shared.kit import UnitOfWork
from shared.messaging.envelope import Envelope, Tenant

from tests.support.factories import eventually, new_store
from tests.support.kafka import header, publish, read_topic

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
GROUP = "dg-test"


@pytest_asyncio.fixture
async def producer(infra):
    p = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


async def send(producer, event, store, copies=1):
    await publish(producer, Envelope.new(event, source="reception", tenant=Tenant(GROUP, store)), copies=copies)


async def stocked(svc, token, store, *, part_no="PAD-1", quantity="1"):
    pm = token(Role.PARTS_MANAGER, stores=[store])
    r = await svc.client.post("/bins", headers=pm, json={"store_id": store, "store_room": "A", "rack": "01",
                                                         "shelf": "02", "position": "03"})
    assert r.status_code == 201, r.text
    r = await svc.client.post("/parts", headers=pm, json={
        "store_id": store, "part_no": part_no, "name": "brake pad", "retail_price": "120.00",
        "bin_code": "A-01-02-03", "opening_quantity": quantity, "opening_cost": "60", "exchange_required": False})
    assert r.status_code == 201, r.text
    return r.json()


async def open_order(svc, producer, store, ro_id):
    job = RepairJob(job_id="j1", description="brakes", pay_type=PayType.CUSTOMER, flat_rate_hours=Decimal(1))
    await send(producer, reception.RepairOrderOpened(repair_order_id=ro_id, number="RO-1", vehicle_id="v",
                                                     customer_id="c", advisor_id="adv", promised_at=NOW,
                                                     jobs=[job]), store)

    async def copied():
        async with svc.runtime.sessions() as s:
            return await s.get(RepairOrderCopyRow, ro_id)
    assert await eventually(copied)


async def signed_slip(svc, token, store, ro_id):
    r = await svc.client.post("/issue-slips", headers=token(Role.TECHNICIAN, stores=[store], user="tech"), json={
        "store_id": store, "repair_order_id": ro_id, "job_id": "j1", "lines": [{"part_no": "PAD-1", "quantity": "1"}]})
    assert r.status_code == 201, r.text
    slip = r.json()
    r = await svc.client.post(f"/issue-slips/{slip['id']}/sign", headers=token(Role.ADVISOR, stores=[store]), json={})
    assert r.status_code == 200, r.text
    return slip


async def test_two_issues_of_the_last_unit_at_once_exactly_one_succeeds(start_service, token, producer):
    store = new_store()
    async with start_service("parts", clock=FixedClock(NOW)) as svc:
        await stocked(svc, token, store)
        await open_order(svc, producer, store, ro := str(uuid.uuid4()))
        slips = [await signed_slip(svc, token, store, ro) for _ in range(2)]
        clerk = token(Role.PARTS_CLERK, stores=[store])
        answers = await asyncio.gather(*(svc.client.post(f"/issue-slips/{s['id']}/issue", headers=clerk, json={})
                                         for s in slips))
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        refused = next(a for a in answers if a.status_code == 409).json()
        assert "PAD-1" in json.dumps(refused)
        card = (await svc.client.get(f"/parts/{store}:PAD-1", headers=clerk)).json()
        assert Decimal(card["on_hand"]) == 0 and min(Decimal(e["balance"]) for e in card["ledger"]) >= 0
        assert [e["movement"] for e in card["ledger"]] == ["opening", "issue"]


async def test_appointment_booked_twice_reserves_once(start_service, token, producer, infra):
    store = new_store()
    async with start_service("parts", clock=FixedClock(NOW)) as svc:
        await stocked(svc, token, store, quantity="5")
        booking = reception.AppointmentBooked(
            appointment_id=(aid := str(uuid.uuid4())), vehicle_id="v", customer_id="c", slot_start=NOW,
            slot_end=NOW + timedelta(hours=1), jobs=[RequestedJob(description="brakes")],
            parts=[PartLine(part_no="PAD-1", quantity=Decimal(2))])
        await send(producer, booking, store, copies=2)  # the same event delivered twice
        await send(producer, booking, store)            # and published again under a new id

        async def reserved():
            async with svc.runtime.sessions() as s, s.begin():
                uow = UnitOfWork(s, outbox=None, clock=FixedClock(NOW), settings=None,
                                 actor=Principal.service(GROUP, "test"))
                return await uow.repo(Demands).find(aid, lock=False)
        assert await eventually(reserved)
        await asyncio.sleep(2)
        card = (await svc.client.get(f"/parts/{store}:PAD-1", headers=token(Role.PARTS_CLERK, stores=[store]))).json()
        assert Decimal(card["reserved"]) == 2 and Decimal(card["available"]) == 3
        recs = await read_topic(infra.kafka_bootstrap, "parts.issues",
                                until=lambda rs: any(r.key == aid.encode() for r in rs), timeout=20)
        mine = [header(r, "ce_type") for r in recs if r.key == aid.encode()]
        assert mine == ["PartsReserved.v1"]

        await send(producer, reception.AppointmentCancelled(appointment_id=aid, reason="customer"), store)

        async def released():
            c = (await svc.client.get(f"/parts/{store}:PAD-1", headers=token(Role.PARTS_CLERK, stores=[store])))
            return Decimal(c.json()["reserved"]) == 0
        assert await eventually(released)


async def test_receiving_with_a_shortfall_records_a_discrepancy_note(start_service, token, infra):
    store = new_store()
    async with start_service("parts", clock=FixedClock(NOW)) as svc:
        await stocked(svc, token, store, quantity="1")
        sup = (await svc.client.post("/suppliers", headers=token(Role.PARTS_MANAGER, stores=[store]), json={
            "name": "上汽配件", "locality": "local", "payment": "credit"})).json()
        clerk = token(Role.PARTS_CLERK, stores=[store])
        r = await svc.client.post("/receipts", headers=clerk, json={
            "store_id": store, "supplier_id": sup["id"], "buyer_id": "buyer-zhao",
            "lines": [{"part_no": "PAD-1", "shipped": "10", "received": "8", "unit_cost": "66"}]})
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        r = await svc.client.post(f"/receipts/{rid}/shelve", headers=clerk, json={
            "lines": [{"part_no": "PAD-1", "shelved": "8"}], "claim_against": "carrier"})
        assert r.status_code == 200, r.text
        assert [(n["kind"], n["quantity"]) for n in r.json()["notes"]] == [("short", "2")]
        card = (await svc.client.get(f"/parts/{store}:PAD-1", headers=clerk)).json()
        assert Decimal(card["on_hand"]) == 9 and Decimal(card["cost"]) == Decimal("65.3333")
        recs = await read_topic(infra.kafka_bootstrap, "parts.stock",
                                until=lambda rs: sum(r.key == rid.encode() for r in rs) >= 2, timeout=20)
        types = sorted(header(r, "ce_type") for r in recs if r.key == rid.encode())
        assert types == ["DiscrepancyRecorded.v1", "GoodsReceived.v1"]


async def test_bad_input_is_refused_naming_the_problem_and_changes_nothing(start_service, token, producer):
    store = new_store()
    async with start_service("parts", clock=FixedClock(NOW)) as svc:
        await stocked(svc, token, store, quantity="3")
        ro = str(uuid.uuid4())
        await open_order(svc, producer, store, ro)
        tech = token(Role.TECHNICIAN, stores=[store], user="tech")
        slip = {"store_id": store, "repair_order_id": ro, "job_id": "j1"}
        r = await svc.client.post("/issue-slips", headers=tech, json={**slip, "lines": [
            {"part_no": "NOPE-9", "quantity": "1"}]})
        assert r.status_code == 404 and "NOPE-9" in r.text
        r = await svc.client.post("/issue-slips", headers=tech, json={**slip, "lines": [
            {"part_no": "PAD-1", "quantity": "-1"}]})
        assert r.status_code == 422 and "quantity" in r.text
        r = await svc.client.post("/parts", headers=token(Role.PARTS_MANAGER, stores=[store]), json={
            "store_id": store, "part_no": "NEW-1", "name": "x", "retail_price": "1", "bin_code": "Z-09-09-09"})
        assert r.status_code == 404 and "Z-09-09-09" in r.text
        await send(producer, reception.RepairOrderInvoiced(repair_order_id=ro, invoice_number="F1",
                                                           totals_by_pay_type={}, tax=Decimal(0),
                                                           customer_total=Decimal(0)), store)

        async def closed():
            async with svc.runtime.sessions() as s:
                row = await s.get(RepairOrderCopyRow, ro)
                await s.refresh(row)
                return not row.open
        assert await eventually(closed)
        r = await svc.client.post("/issue-slips", headers=tech, json={**slip, "lines": [
            {"part_no": "PAD-1", "quantity": "1"}]})
        assert r.status_code == 409 and "invoiced" in r.text
        card = (await svc.client.get(f"/parts/{store}:PAD-1", headers=tech)).json()
        assert Decimal(card["on_hand"]) == 3 and len(card["ledger"]) == 1
        r = await svc.client.get(f"/parts/{store}:NEW-1", headers=tech)
        assert r.status_code == 404


async def test_a_technicians_request_delivered_twice_makes_one_slip_and_one_reservation(start_service, token, producer,
                                                                                      infra):
    store = new_store()
    async with start_service("parts", clock=FixedClock(NOW)) as svc:
        await stocked(svc, token, store, quantity="5")
        await open_order(svc, producer, store, ro := str(uuid.uuid4()))
        asked = workshop.PartsRequested(repair_order_id=ro, job_id="j1", request_id=(rq := str(uuid.uuid4())),
                                        technician_id="tech", lines=[PartLine(part_no="PAD-1", quantity=Decimal(2))])
        env = Envelope.new(asked, source="workshop", tenant=Tenant(GROUP, store))
        await publish(producer, env, copies=2)  # the same event twice
        await publish(producer, Envelope.new(asked, source="workshop", tenant=Tenant(GROUP, store)))  # a new id

        clerk = token(Role.PARTS_CLERK, stores=[store])

        async def slip():
            r = await svc.client.get(f"/issue-slips/{rq}", headers=clerk)
            return r.json() if r.status_code == 200 else None
        got = await eventually(slip)
        assert got and got["technician_id"] == "tech" and got["state"] == "requested", got
        await asyncio.sleep(2)
        card = (await svc.client.get(f"/parts/{store}:PAD-1", headers=clerk)).json()
        assert Decimal(card["reserved"]) == 2 and Decimal(card["available"]) == 3  # the job planned none
        recs = await read_topic(infra.kafka_bootstrap, "parts.issues",
                                until=lambda rs: any(r.key == ro.encode() for r in rs), timeout=20)
        assert [header(r, "ce_type") for r in recs if r.key == ro.encode()] == ["PartsReserved.v1"]
        answer = (await svc.client.get("/figures", headers=token(Role.PARTS_MANAGER, stores=[store]), params={
            "date_from": "2026-11-01", "date_to": "2026-12-01", "granularity": "month"})).json()
        fill = {f["period"]: f for f in answer["figures"] if f["kpi"] == "parts_fill_rate"}
        assert (fill["2026-12-01"]["denominator"], fill["2026-12-01"]["value"]) == ("1", "1.0000"), answer


async def test_the_open_issue_requests_of_a_store_list_until_issued(start_service, token, producer):
    """The parts board's open requests: the store's slips still at the counter; issued ones leave the list,
    another store's never show, and a caller outside the store is refused naming it."""
    store, other = new_store(), new_store()
    async with start_service("parts", clock=FixedClock(NOW)) as svc:
        await stocked(svc, token, store, quantity="5")
        await open_order(svc, producer, store, ro := str(uuid.uuid4()))
        first, second = [await signed_slip(svc, token, store, ro) for _ in range(2)]
        clerk = token(Role.PARTS_CLERK, stores=[store])
        listed = await svc.client.get("/issue-slips", params={"store_id": store}, headers=clerk)
        assert listed.status_code == 200, listed.text
        assert {s["id"] for s in listed.json()} == {first["id"], second["id"]}
        # the counter reads the order's number and the job, not their ids
        assert {(s["repair_order_number"], s["job_description"]) for s in listed.json()} == {("RO-1", "brakes")}
        assert (await svc.client.post(f"/issue-slips/{first['id']}/issue", headers=clerk, json={})).status_code == 200
        listed = (await svc.client.get("/issue-slips", params={"store_id": store}, headers=clerk)).json()
        assert [s["id"] for s in listed] == [second["id"]]
        issued = (await svc.client.get("/issue-slips", params={"store_id": store, "state": "issued"},
                                       headers=clerk)).json()
        assert [s["id"] for s in issued] == [first["id"]]
        refused = await svc.client.get("/issue-slips", params={"store_id": store},
                                       headers=token(Role.PARTS_CLERK, stores=[other]))
        assert refused.status_code == 403 and refused.json()["field"] == "store_id", refused.text
