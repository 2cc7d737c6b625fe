"""crm's customer care on real PostgreSQL and Kafka: deliveries arrive as CloudEvents from reception."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiokafka import AIOKafkaProducer
from crm.adapters.orm import CallTaskRow, FollowUpRow
from shared.auth import Role
from shared.clock import FixedClock
from shared.contracts.crm import COMPLAINTS, FOLLOW_UPS
from shared.contracts.reception import REPAIR_ORDERS, VehicleDelivered, WalkInCustomerRecorded
from shared.messaging.envelope import Envelope, Tenant
from shared.plumbing_tables import inbox_table, outbox_table
from sqlalchemy import func, select

from tests.support.factories import eventually, new_phone, new_vin
from tests.support.kafka import header, publish, read_topic

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 6, 1, 10, 0, tzinfo=SH)


def local(d: int, h: int, mi: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, d, h, mi, tzinfo=SH)




class Shop:
    """One dealer group of its own per test, so figures do not mix."""

    def __init__(self, crm, token, infra):
        self.crm, self.infra = crm, infra
        self.group = f"dg-{uuid.uuid4().hex[:8]}"
        self.store = "s-001"
        self.tenant = Tenant(self.group, self.store)
        self.advisor = token(Role.ADVISOR, stores=[self.store], group=self.group, user="adv-1")
        self.agent = token(Role.CUSTOMER_CARE, stores=[self.store], group=self.group, user="agent-1")
        self.gm = token(Role.GENERAL_MANAGER, stores=[self.store], group=self.group, user="gm-1")
        self.manager = token(Role.SERVICE_MANAGER, stores=[self.store], group=self.group, user="sm-1")

    async def customer_and_vehicle(self, **vehicle) -> tuple[dict, dict]:
        c = await self.crm.client.post("/customers", headers=self.advisor, json={
            "store_id": self.store, "name": "王伟", "phones": [new_phone()]})
        assert c.status_code == 201, c.text
        v = await self.crm.client.post("/vehicles", headers=self.advisor, json={
            "store_id": self.store, "vin": new_vin(), "owner_customer_id": c.json()["id"], **vehicle})
        assert v.status_code == 201, v.text
        return c.json(), v.json()

    async def publish(self, event, *, at: datetime, copies: int = 1, env: Envelope | None = None) -> Envelope:
        env = env or Envelope.new(event, source="reception", tenant=self.tenant, time=at)
        producer = AIOKafkaProducer(bootstrap_servers=self.infra.kafka_bootstrap)
        await producer.start()
        try:
            await publish(producer, env, topic=REPAIR_ORDERS, copies=copies)
        finally:
            await producer.stop()
        return env

    async def deliver(self, customer, vehicle, *, at: datetime, advisor: str = "adv-1", **kw) -> str:
        ro = f"ro-{uuid.uuid4().hex[:10]}"
        await self.publish(VehicleDelivered(repair_order_id=ro, vehicle_id=vehicle["id"], customer_id=customer["id"],
                                            advisor_id=advisor, **kw), at=at)
        return ro

    async def follow_up(self, ro: str) -> dict | None:
        async def found():
            r = await self.crm.client.get("/follow-ups", headers=self.agent, params={"store_id": self.store})
            return next((f for f in r.json() if f["repair_order_id"] == ro), None)
        return await eventually(found)

    async def outbox_count(self) -> int:
        async with self.crm.runtime.sessions() as s:
            return await s.scalar(select(func.count()).select_from(outbox_table()))


async def test_a_delivery_yields_exactly_one_follow_up_even_when_delivered_twice(start_service, token, infra):
    async with start_service("crm", clock=FixedClock(MONDAY)) as crm:
        shop = Shop(crm, token, infra)
        customer, vehicle = await shop.customer_and_vehicle()
        ro = f"ro-{uuid.uuid4().hex[:10]}"
        delivered = VehicleDelivered(repair_order_id=ro, vehicle_id=vehicle["id"], customer_id=customer["id"],
                                     advisor_id="adv-1", odometer_km=12000, next_service_date=date(2026, 12, 1))
        # the same CloudEvent redelivered, and then reception publishing the delivery again under a new id
        first = await shop.publish(delivered, at=local(1, 16, 30), copies=2)
        second = await shop.publish(delivered, at=local(1, 16, 45))
        fu = await shop.follow_up(ro)
        assert fu is not None, "no follow-up was scheduled"
        assert fu["due_from"] == "2026-06-02T01:00:00Z"  # 09:00 the next day, Shanghai time
        assert fu["due_to"] == "2026-06-04T11:00:00Z"    # 19:00 three days after pickup
        assert fu["advisor_id"] == "adv-1" and fu["status"] == "scheduled"

        async def both_handled():  # the second event id went through the inbox too: it was seen, not lost
            async with crm.runtime.sessions() as s:
                return await s.scalar(select(func.count()).select_from(inbox_table()).where(
                    inbox_table().c.event_id.in_([first.id, second.id]))) == 2
        assert await eventually(both_handled)
        async with crm.runtime.sessions() as s:
            n = await s.scalar(select(func.count()).select_from(FollowUpRow).where(FollowUpRow.repair_order_id == ro))
        assert n == 1
        records = await read_topic(infra.kafka_bootstrap, FOLLOW_UPS, until=lambda rs: any(
            header(r, "ce_subject") == fu["id"] for r in rs))
        scheduled = [r for r in records if header(r, "ce_subject") == fu["id"]]
        assert [header(r, "ce_type") for r in scheduled] == ["FollowUpScheduled.v1"]
        assert json.loads(scheduled[0].value)["repair_order_id"] == ro
        # the delivery's odometer went into the vehicle's history
        readings = (await crm.client.get(f"/vehicles/{vehicle['id']}/odometer-readings", headers=shop.agent)).json()
        assert [(r["km"], r["source"]) for r in readings] == [(12000, "delivery")]


async def test_a_complaint_raised_on_the_follow_up_call_publishes_complaint_opened(start_service, token, infra):
    clock = FixedClock(MONDAY)
    async with start_service("crm", clock=clock) as crm:
        shop = Shop(crm, token, infra)
        customer, vehicle = await shop.customer_and_vehicle()
        ro = await shop.deliver(customer, vehicle, at=local(1, 16), next_service_date=date(2026, 12, 1))
        fu = await shop.follow_up(ro)
        clock.set(local(2, 15))
        r = await crm.client.post(f"/follow-ups/{fu['id']}/complete", headers=shop.agent, json={
            "version": fu["version"], "called_at": local(2, 14, 40).isoformat(), "satisfaction": 2,
            "answers": {"explained_the_work": 3, "ready_on_time": 1}, "comments": "two hours late",
            "complaint": {"severity": "medium", "summary": "car ready two hours after the promised time"}})
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["status"] == "completed" and done["complaint_id"] and done["next_service_date"] == "2026-12-01"
        complaint = (await crm.client.get(f"/complaints/{done['complaint_id']}", headers=shop.agent)).json()
        assert complaint["channel"] == "follow_up_call" and complaint["follow_up_id"] == fu["id"]
        assert complaint["repair_order_id"] == ro and complaint["status"] == "open"

        records = await read_topic(infra.kafka_bootstrap, COMPLAINTS, until=lambda rs: any(
            header(r, "ce_subject") == done["complaint_id"] for r in rs))
        opened = [r for r in records if header(r, "ce_subject") == done["complaint_id"]]
        assert [header(r, "ce_type") for r in opened] == ["ComplaintOpened.v1"]
        body = json.loads(opened[0].value)
        assert body["severity"] == "medium" and body["follow_up_id"] == fu["id"]
        assert header(opened[0], "ce_dealergroup") == shop.group
        follow_ups = await read_topic(infra.kafka_bootstrap, FOLLOW_UPS, until=lambda rs: any(
            header(r, "ce_subject") == fu["id"] and header(r, "ce_type") == "FollowUpCompleted.v1" for r in rs))
        completed = [json.loads(r.value) for r in follow_ups if header(r, "ce_subject") == fu["id"]
                     and header(r, "ce_type") == "FollowUpCompleted.v1"]
        assert completed and completed[0]["complaint_id"] == done["complaint_id"]

        # the ticket goes round the loop: assigned by the GM, overdue once past its deadline, closed on confirmation
        cid = done["complaint_id"]
        r = await crm.client.post(f"/complaints/{cid}/assign", headers=shop.agent, json={
            "version": 1, "department": "workshop", "deadline": local(3, 18).isoformat()})
        assert r.status_code == 403  # only the general manager or service manager assigns
        r = await crm.client.post(f"/complaints/{cid}/assign", headers=shop.gm, json={
            "version": 1, "department": "workshop", "deadline": local(3, 18).isoformat()})
        assert r.status_code == 200 and r.json()["overdue"] is False
        clock.set(local(4, 9))
        overdue = (await crm.client.get("/complaints", headers=shop.agent, params={"overdue": "true"})).json()
        assert [c["id"] for c in overdue] == [cid]
        r = await crm.client.post(f"/complaints/{cid}/resolve", headers=shop.agent, json={
            "version": 2, "remedy": "free maintenance voucher, apology from the workshop"})
        assert r.status_code == 200 and r.json()["overdue"] is False
        r = await crm.client.post(f"/complaints/{cid}/close", headers=shop.agent, json={
            "version": 3, "customer_confirmed": True})
        assert r.status_code == 200 and r.json()["status"] == "closed"


async def test_bad_input_is_refused_naming_the_problem_and_nothing_changes(start_service, token, infra):
    clock = FixedClock(MONDAY)
    async with start_service("crm", clock=clock) as crm:
        shop = Shop(crm, token, infra)
        customer, vehicle = await shop.customer_and_vehicle()
        fu = await shop.follow_up(await shop.deliver(customer, vehicle, at=local(1, 16)))
        r = await crm.client.post("/complaints", headers=shop.agent, json={
            "store_id": shop.store, "customer_id": customer["id"], "channel": "in_person", "severity": "general",
            "summary": "waited too long"})
        assert r.status_code == 201
        complaint = r.json()
        clock.set(local(2, 13))
        before = await shop.outbox_count()
        r = await crm.client.patch("/vehicles/no-such-vehicle", headers=shop.advisor, json={"version": 1,
                                                                                              "plate": "沪B1"})
        assert r.status_code == 404 and r.json()["field"] == "vehicle_id"
        r = await crm.client.post("/complaints", headers=shop.agent, json={
            "store_id": shop.store, "customer_id": customer["id"], "vehicle_id": "no-such-vehicle",
            "channel": "phone", "severity": "general", "summary": "x"})
        assert r.status_code == 404 and r.json()["field"] == "vehicle_id"
        r = await crm.client.post("/vehicles", headers=shop.advisor, json={
            "store_id": shop.store, "vin": "LSVAU2181N2183294", "owner_customer_id": customer["id"]})
        assert r.status_code == 422 and r.json()["field"] == "vin" and "check digit" in r.json()["detail"]
        r = await crm.client.post(f"/follow-ups/{fu['id']}/attempts", headers=shop.agent, json={
            "version": fu["version"], "outcome": "no_answer", "called_at": local(2, 12, 30).isoformat()})
        assert r.status_code == 422 and r.json()["field"] == "called_at" and "outside the call windows" in r.text
        r = await crm.client.post(f"/follow-ups/{fu['id']}/attempts", headers=shop.agent, json={
            "version": fu["version"], "outcome": "no_answer"})  # "now" is 13:00: lunch, no calls
        assert r.status_code == 422 and r.json()["field"] == "called_at"
        r = await crm.client.post(f"/follow-ups/{fu['id']}/fail", headers=shop.agent, json={
            "version": fu["version"], "reason": "no_answer"})
        assert r.status_code == 422 and "at least 3" in r.json()["detail"]
        r = await crm.client.post(f"/follow-ups/{fu['id']}/fail", headers=shop.agent, json={
            "version": fu["version"], "reason": "customer_busy"})
        assert r.status_code == 422 and r.json()["field"] == "reason"
        r = await crm.client.post(f"/complaints/{complaint['id']}/close", headers=shop.agent, json={
            "version": complaint["version"], "customer_confirmed": True})
        assert r.status_code == 409 and r.json()["current_state"] == "open"
        r = await crm.client.post(f"/complaints/{complaint['id']}/assign", headers=shop.gm, json={
            "version": complaint["version"], "department": "reception", "deadline": local(5, 18).isoformat()})
        assert r.status_code == 200
        r = await crm.client.post(f"/complaints/{complaint['id']}/resolve", headers=shop.agent, json={
            "version": 2, "remedy": "apology"})
        assert r.status_code == 200
        after_resolve = await shop.outbox_count()
        r = await crm.client.post(f"/complaints/{complaint['id']}/close", headers=shop.agent, json={
            "version": 3, "customer_confirmed": False})
        assert r.status_code == 409 and r.json()["current_state"] == "resolved" and len(r.json()["missing"]) == 1
        r = await crm.client.post(f"/complaints/{complaint['id']}/close", headers=shop.agent, json={
            "version": 1, "customer_confirmed": True})
        assert r.status_code == 409 and r.json()["current_version"] == 3  # stale
        r = await crm.client.patch(f"/customers/{customer['id']}", headers=shop.advisor, json={
            "version": 1, "contact_window": "after work"})
        assert r.status_code == 422 and r.json()["field"] == "contact_window"
        assert await shop.outbox_count() == after_resolve == before + 2  # only the two good commands published
        again = (await crm.client.get(f"/follow-ups/{fu['id']}", headers=shop.agent)).json()
        assert again["attempts"] == [] and again["version"] == fu["version"] and again["status"] == "scheduled"
        assert (await crm.client.get(f"/complaints/{complaint['id']}", headers=shop.agent)).json()["status"] \
            == "resolved"


async def test_weekly_and_monthly_reports_answer_with_the_figures_of_a_seeded_week(start_service, token, infra):
    clock = FixedClock(MONDAY)
    async with start_service("crm", clock=clock) as crm:
        shop = Shop(crm, token, infra)
        # ten deliveries in the week of 1 June: advisor adv-1 has six, adv-2 four
        fus = []
        for i in range(10):
            customer, vehicle = await shop.customer_and_vehicle()
            ro = await shop.deliver(customer, vehicle, at=local(1 + i % 5, 16), advisor="adv-1" if i < 6 else "adv-2",
                                    next_service_date=date(2026, 12, 1))
            fus.append(ro)
        # and one the week after, which the report must leave out
        customer, vehicle = await shop.customer_and_vehicle()
        await shop.deliver(customer, vehicle, at=local(8, 10))
        follow_ups = [await shop.follow_up(ro) for ro in fus]
        clock.set(local(9, 10))
        agent = shop.agent
        # seven reached (one with a severe complaint), one wrong number, one failed after 3 unanswered calls
        for i, fu in enumerate(follow_ups[:7]):
            body = {"version": 1, "called_at": local(6 if i < 5 else 7, 10).isoformat(), "satisfaction": 5 if i else 1}
            if i == 0:
                body["complaint"] = {"severity": "severe", "summary": "paint damaged in the workshop"}
            r = await crm.client.post(f"/follow-ups/{fu['id']}/complete", headers=agent, json=body)
            assert r.status_code == 200, r.text
        r = await crm.client.post(f"/follow-ups/{follow_ups[7]['id']}/attempts", headers=agent, json={
            "version": 1, "outcome": "wrong_number", "called_at": local(6, 10).isoformat()})
        assert r.status_code == 200 and r.json()["status"] == "failed"
        fu = follow_ups[8]
        for n, at in enumerate([local(6, 10), local(6, 15), local(7, 9, 30)], start=1):
            r = await crm.client.post(f"/follow-ups/{fu['id']}/attempts", headers=agent, json={
                "version": n, "outcome": "no_answer", "called_at": at.isoformat()})
            assert r.status_code == 200, r.text
        r = await crm.client.post(f"/follow-ups/{fu['id']}/fail", headers=agent, json={"version": 4,
                                                                                      "reason": "no_answer"})
        assert r.status_code == 200 and r.json()["status"] == "failed"

        r = await crm.client.get("/reports/follow-ups/weekly", headers=shop.manager,
                                 params={"week_start": "2026-06-01"})
        assert r.status_code == 200, r.text
        week = r.json()
        assert (week["scheduled"], week["reached"], week["failed"], week["pending"]) == (10, 7, 2, 1)
        assert week["success_rate"] == "0.7000" and week["meets_target"] is False
        assert week["failures_by_reason"] == {"no_answer": 1, "wrong_number": 1}
        assert week["per_advisor"]["adv-1"]["scheduled"] == 6 and week["per_advisor"]["adv-1"]["reached"] == 6
        assert week["per_advisor"]["adv-2"]["reached"] == 1 and week["per_advisor"]["adv-2"]["failed"] == 2
        # default: last full week, seen on the Monday after it
        clock.set(local(8, 9))
        assert (await crm.client.get("/reports/follow-ups/weekly", headers=shop.manager)).json()["scheduled"] == 10
        r = await crm.client.get("/reports/follow-ups/weekly", headers=shop.manager,
                                 params={"week_start": "2026-06-02"})
        assert r.status_code == 422 and r.json()["field"] == "week_start"

        clock.set(local(2, 9, month=7))
        month = (await crm.client.get("/reports/monthly", headers=shop.manager)).json()
        assert month["month"] == "2026-06" and month["visits"] == 11
        assert month["satisfaction"]["surveys"] == 7 and month["satisfaction"]["average"] == "4.43"
        assert month["complaints"]["opened"] == 1 and month["complaints"]["by_class"]["severe"] == 1
        assert month["severe_complaint_rate"] == "0.0909" and month["meets_target"] is False


async def test_reminders_run_for_a_date_and_a_returning_lapsed_customer_is_called_a_week_later(
        start_service, token, infra):
    clock = FixedClock(local(1, 8, month=5))
    async with start_service("crm", clock=clock) as crm:
        shop = Shop(crm, token, infra)
        insured, _ = await shop.customer_and_vehicle(insurance_expiry="2026-06-15", sale_date="2025-01-10",
                                                      warranty_years=3)
        lapsed_c, lapsed_v = await shop.customer_and_vehicle()
        await shop.deliver(lapsed_c, lapsed_v, at=local(1, 16, month=1), next_service_date=date(2026, 2, 1),
                           declined_work=["rear tyres worn to 2mm"])
        refused, _ = await shop.customer_and_vehicle(insurance_expiry="2026-06-15")
        r = await crm.client.patch(f"/customers/{refused['id']}", headers=shop.agent, json={
            "version": 1, "consent_to_call": False})
        assert r.status_code == 200 and r.json()["version"] == 2

        async def delivered():
            r = await crm.client.get("/call-tasks", headers=shop.agent, params={"kind": "declined_work"})
            return r.json()
        [declined] = await eventually(delivered)
        assert declined["due_on"] == "2026-01-31" and "rear tyres" in declined["detail"]

        r = await crm.client.post("/reminders/run", headers=shop.agent, json={"date": "2026-05-10"})
        assert r.status_code == 200, r.text
        made = {(t["customer_id"], t["kind"]): t for t in r.json()["tasks"]}
        assert made[(insured["id"], "insurance_expiring")]["due_on"] == "2026-05-16"
        assert made[(lapsed_c["id"], "lapsed_customer")]["due_on"] == "2026-05-10"
        assert all(c != refused["id"] for c, _ in made)  # refused contact: never a target
        again = await crm.client.post("/reminders/run", headers=shop.agent, json={"date": "2026-05-11"})
        assert again.json()["created"] == 0  # the same reminders are not made twice

        lapsed_task = made[(lapsed_c["id"], "lapsed_customer")]
        r = await crm.client.post(f"/call-tasks/{lapsed_task['id']}/outcome", headers=shop.agent, json={
            "version": 1, "outcome": "reached"})
        assert r.status_code == 422 and r.json()["field"] == "reason"
        r = await crm.client.post(f"/call-tasks/{lapsed_task['id']}/outcome", headers=shop.agent, json={
            "version": 1, "outcome": "reached", "reason": "moved to Suzhou, services near work"})
        assert r.status_code == 200 and r.json()["status"] == "done"

        # the lapsed customer comes back: a call 7 days after the delivery
        await shop.deliver(lapsed_c, lapsed_v, at=local(20, 17, month=5))

        async def return_call():
            r = await crm.client.get("/call-tasks", headers=shop.agent,
                                     params={"kind": "lapsed_return", "customer_id": lapsed_c["id"]})
            return r.json()
        [back] = await eventually(return_call)
        assert back["due_on"] == "2026-05-27"
        async with crm.runtime.sessions() as s:
            t = await s.get(CallTaskRow, lapsed_task["id"])
            assert t.returned_repair_order_id is not None


async def test_the_background_loop_runs_the_reminders_by_the_service_clock(start_service, token, infra):
    clock = FixedClock(local(1, 8, month=5))
    async with start_service("crm", clock=clock, reminder_poll_seconds=0.2) as crm:
        shop = Shop(crm, token, infra)
        c, _ = await shop.customer_and_vehicle(insurance_expiry="2026-06-15")

        async def tasks():
            r = await crm.client.get("/call-tasks", headers=shop.agent, params={"customer_id": c["id"]})
            return r.json()
        await asyncio.sleep(0.5)
        assert await tasks() == []  # 1 May: too early for a 15 June renewal
        clock.set(local(10, 8, month=5))
        got = await eventually(tasks, timeout=10)
        assert [t["kind"] for t in got] == ["insurance_expiring"]


async def test_walk_in_registers_new_records_and_keeps_known_ones(start_service, token, infra):
    async with start_service("crm", clock=FixedClock(MONDAY)) as crm:
        shop = Shop(crm, token, infra)
        known_c, known_v = await shop.customer_and_vehicle(plate="沪A00001")
        fresh = WalkInCustomerRecorded(repair_order_id="ro-w1", customer_id=f"c-{uuid.uuid4()}", customer_name="李娜",
                                       phones=[new_phone()], vehicle_id=f"v-{uuid.uuid4()}", vin=new_vin(),
                                       plate="沪B12345", odometer_km=500)
        again = WalkInCustomerRecorded(repair_order_id="ro-w2", customer_id=f"c-{uuid.uuid4()}", customer_name="王",
                                       phones=known_c["phones"], vehicle_id=f"v-{uuid.uuid4()}",
                                       vin=known_v["vin"], odometer_km=800)
        await shop.publish(fresh, at=MONDAY)
        await shop.publish(again, at=MONDAY)

        async def registered():
            r = await crm.client.get(f"/vehicles/{fresh.vehicle_id}", headers=shop.agent)
            return r.json() if r.status_code == 200 else None
        v = await eventually(registered)
        assert v and v["owner_customer_id"] == fresh.customer_id and v["plate"] == "沪B12345"

        async def linked():
            r = await crm.client.get(f"/vehicles/{again.vehicle_id}", headers=shop.agent)
            return r.json() if r.status_code == 200 else None
        kept = await eventually(linked)
        assert kept and kept["id"] == known_v["id"] and kept["odometer_km"] == 800  # reception's id is an alias
        c = (await crm.client.get(f"/customers/{again.customer_id}", headers=shop.agent)).json()
        assert c["id"] == known_c["id"] and c["name"] == "王伟"  # the record crm had is kept
        async with crm.runtime.sessions() as s:
            types = (await s.scalars(select(outbox_table().c.event_type).where(
                outbox_table().c.aggregate_id.in_([known_c["id"], known_v["id"]])))).all()
        assert "CustomerUpdated.v1" in types and "VehicleUpdated.v1" in types
        # reception learns which records crm kept (only for the walk-in it knew), so its order names them.
        async with crm.runtime.sessions() as s:
            matched = (await s.execute(select(outbox_table().c.aggregate_id, outbox_table().c.payload).where(
                outbox_table().c.event_type == "WalkInMatched.v1",
                outbox_table().c.payload["repair_order_id"].astext.in_(["ro-w1", "ro-w2"])))).all()
        assert [(m.aggregate_id, m.payload) for m in matched] == [(known_c["id"], {
            "repair_order_id": "ro-w2", "customer_id": known_c["id"], "walk_in_customer_id": again.customer_id,
            "vehicle_id": known_v["id"], "walk_in_vehicle_id": again.vehicle_id})]


async def test_owner_change_keeps_history_and_stale_patch_is_refused(start_service, token, infra):
    async with start_service("crm", clock=FixedClock(MONDAY)) as crm:
        shop = Shop(crm, token, infra)
        seller, vehicle = await shop.customer_and_vehicle()
        buyer, _ = await shop.customer_and_vehicle()
        r = await crm.client.post(f"/vehicles/{vehicle['id']}/owner", headers=shop.advisor, json={
            "version": 1, "new_owner_customer_id": buyer["id"]})
        assert r.status_code == 200 and r.json()["owner_customer_id"] == buyer["id"] and r.json()["version"] == 2
        owners = (await crm.client.get(f"/vehicles/{vehicle['id']}/owners", headers=shop.agent)).json()
        assert [o["customer_id"] for o in owners] == [seller["id"], buyer["id"]]
        assert owners[0]["owned_to"] is not None and owners[1]["owned_to"] is None
        r = await crm.client.patch(f"/vehicles/{vehicle['id']}", headers=shop.advisor, json={
            "version": 1, "plate": "沪C99999"})
        assert r.status_code == 409 and r.json()["current_version"] == 2
        r = await crm.client.patch(f"/vehicles/{vehicle['id']}", headers=shop.advisor, json={
            "version": 2, "plate": "沪c99999", "insurance_expiry": "2027-03-01", "insurer": "PICC"})
        assert r.status_code == 200 and r.json()["plate"] == "沪C99999" and r.json()["version"] == 3
        r = await crm.client.post(f"/vehicles/{vehicle['id']}/odometer-readings", headers=shop.advisor, json={
            "read_on": "2026-05-01", "km": 9000})
        assert r.status_code == 201
        r = await crm.client.post(f"/vehicles/{vehicle['id']}/odometer-readings", headers=shop.advisor, json={
            "read_on": "2026-05-20", "km": 8000})
        assert r.status_code == 422 and r.json()["field"] == "km"
        r = await crm.client.patch(f"/customers/{buyer['id']}", headers=shop.advisor, json={
            "version": 1, "phones": seller["phones"]})
        assert r.status_code == 409 and r.json()["existing_customer_id"] == seller["id"]


async def test_closing_a_complaint_the_customer_has_not_confirmed_is_refused_by_its_state(start_service, token, infra):
    clock = FixedClock(MONDAY)
    async with start_service("crm", clock=clock) as crm:
        shop = Shop(crm, token, infra)
        customer, _ = await shop.customer_and_vehicle()
        r = await crm.client.post("/complaints", headers=shop.agent, json={
            "store_id": shop.store, "customer_id": customer["id"], "channel": "phone", "severity": "medium",
            "summary": "the rattle is still there"})
        cid = r.json()["id"]
        r = await crm.client.post(f"/complaints/{cid}/assign", headers=shop.gm, json={
            "version": 1, "department": "workshop", "deadline": local(3, 18).isoformat()})
        r = await crm.client.post(f"/complaints/{cid}/resolve", headers=shop.agent, json={
            "version": 2, "remedy": "heat shield refitted"})
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        before = await shop.outbox_count()
        r = await crm.client.post(f"/complaints/{cid}/close", headers=shop.agent, json={
            "version": 3, "customer_confirmed": False})
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["error"] == "Conflict" and body["current_state"] == "resolved" and body["command"] == "close"
        assert len(body["missing"]) == 1 and "customer_confirmed" in body["missing"][0]
        again = (await crm.client.get(f"/complaints/{cid}", headers=shop.agent)).json()
        assert again["status"] == "resolved" and again["version"] == 3
        assert await shop.outbox_count() == before
        # documented: the close operation's 409 is the one Error model, and the route says when it answers it
        spec = (await crm.client.get("/openapi.json")).json()
        close = spec["paths"]["/complaints/{complaint_id}/close"]["post"]
        assert close["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
        assert "missing" in close["description"] and "current_state" in close["description"]
        r = await crm.client.post(f"/complaints/{cid}/close", headers=shop.agent, json={
            "version": 3, "customer_confirmed": True})
        assert r.status_code == 200 and r.json()["status"] == "closed"


async def test_no_answer_fails_only_after_calls_unanswered_in_three_different_windows(start_service, token, infra):
    clock = FixedClock(MONDAY)
    async with start_service("crm", clock=clock) as crm:
        shop = Shop(crm, token, infra)
        customer, vehicle = await shop.customer_and_vehicle()
        fu = await shop.follow_up(await shop.deliver(customer, vehicle, at=local(1, 16)))
        url = f"/follow-ups/{fu['id']}"

        async def attempt(version: int, at: datetime, outcome: str = "no_answer"):
            return await crm.client.post(f"{url}/attempts", headers=shop.agent, json={
                "version": version, "outcome": outcome, "called_at": at.isoformat()})

        clock.set(local(2, 16))
        assert (await attempt(1, local(2, 10))).status_code == 200
        assert (await attempt(2, local(2, 15))).status_code == 200
        before = await shop.outbox_count()
        r = await attempt(3, local(2, 10, 30))  # back-dated into this morning
        assert r.status_code == 409 and r.json()["field"] == "called_at", r.text
        assert r.json()["last_called_at"] == local(2, 15).isoformat()
        r = await crm.client.post(f"{url}/fail", headers=shop.agent, json={"version": 3, "reason": "no_answer"})
        assert r.status_code == 422 and r.json()["field"] == "reason" and "only 2" in r.json()["detail"]

        clock.set(local(3, 11))
        assert (await attempt(3, local(3, 9, 30), "call_back_later")).status_code == 200
        assert (await attempt(4, local(3, 9, 45))).status_code == 200  # tomorrow morning: another window
        r = await attempt(5, local(3, 10))  # this morning already went unanswered
        assert r.status_code == 422 and r.json()["field"] == "called_at" and "different window" in r.json()["detail"]
        assert await shop.outbox_count() == before + 2  # the refusals published nothing
        got = (await crm.client.get(url, headers=shop.agent)).json()
        assert [(a["window_date"], a["window"], a["outcome"]) for a in got["attempts"]] == [
            ("2026-06-02", "morning", "no_answer"), ("2026-06-02", "afternoon", "no_answer"),
            ("2026-06-03", "morning", "call_back_later"), ("2026-06-03", "morning", "no_answer")]

        r = await crm.client.post(f"{url}/fail", headers=shop.agent, json={"version": 5, "reason": "no_answer"})
        assert r.status_code == 200 and r.json()["status"] == "failed", r.text
        records = await read_topic(infra.kafka_bootstrap, FOLLOW_UPS, until=lambda rs: any(
            header(r, "ce_subject") == fu["id"] and header(r, "ce_type") == "FollowUpFailed.v1" for r in rs))
        [failed] = [json.loads(r.value) for r in records if header(r, "ce_subject") == fu["id"]
                    and header(r, "ce_type") == "FollowUpFailed.v1"]
        assert failed["reason"] == "no_answer" and failed["attempts"] == 4


async def test_a_follow_up_cannot_be_done_before_its_period_opens(start_service, token, infra):
    clock = FixedClock(MONDAY)
    async with start_service("crm", clock=clock) as crm:
        shop = Shop(crm, token, infra)
        customer, vehicle = await shop.customer_and_vehicle()
        fu = await shop.follow_up(await shop.deliver(customer, vehicle, at=local(1, 16),
                                                     next_service_date=date(2026, 12, 1)))
        url = f"/follow-ups/{fu['id']}"
        clock.set(local(1, 19, 30))  # the evening of the delivery
        before = await shop.outbox_count()
        complete = {"version": 1, "satisfaction": 5,
                    "complaint": {"severity": "grumble", "summary": "no coffee in the lounge"}}
        for body in (complete | {"called_at": local(1, 18, 30).isoformat()}, complete):
            r = await crm.client.post(f"{url}/complete", headers=shop.agent, json=body)
            assert r.status_code == 409, r.text
            assert r.json()["due_from"] == "2026-06-02T09:00:00+08:00" and "2026-06-02 09:00" in r.json()["detail"]
        r = await crm.client.post(f"{url}/attempts", headers=shop.agent, json={
            "version": 1, "outcome": "no_answer", "called_at": local(1, 17).isoformat()})
        assert r.status_code == 409 and r.json()["due_from"] == "2026-06-02T09:00:00+08:00"
        assert await shop.outbox_count() == before
        got = (await crm.client.get(url, headers=shop.agent)).json()
        assert got["status"] == "scheduled" and got["attempts"] == [] and got["version"] == 1
        assert (await crm.client.get("/complaints", headers=shop.agent)).json() == []  # the ticket rolled back
        spec = (await crm.client.get("/openapi.json")).json()
        assert "due_from" in spec["paths"]["/follow-ups/{follow_up_id}/complete"]["post"]["description"]

        clock.set(local(2, 9, 30))
        r = await crm.client.post(f"{url}/complete", headers=shop.agent, json=complete)
        assert r.status_code == 200 and r.json()["status"] == "completed", r.text
