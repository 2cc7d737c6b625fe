"""crm's deliveries a fetched batch at a time (crm.care, EventHandlers.on_batch) on real PostgreSQL and Kafka:
the batch is fed to the service's own consumer directly, so which records share a batch is certain."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiokafka.structs import ConsumerRecord
from crm.adapters.orm import CallTaskRow, FollowUpRow, OdometerReadingRow, VehicleRow
from crm.entrypoints.consumers import care
from shared.clock import FixedClock
from shared.contracts.reception import REPAIR_ORDERS, VehicleDelivered
from shared.messaging.consumer import dlq_topic
from shared.messaging.envelope import Envelope
from shared.plumbing_tables import audit_table, inbox_table, outbox_table
from sqlalchemy import func, select

from tests.support.kafka import header, read_topic

from .test_customer_care import Shop

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=SH)


def delivered(shop: Shop, customer: dict, vehicle: dict | str, *, ro: str | None = None, minute: int = 0,
              **kw) -> Envelope:
    vehicle_id = vehicle if isinstance(vehicle, str) else vehicle["id"]
    e = VehicleDelivered(repair_order_id=ro or f"ro-{uuid.uuid4().hex[:10]}", vehicle_id=vehicle_id,
                         customer_id=customer["id"], advisor_id="adv-1", **kw)
    return Envelope.new(e, source="reception", tenant=shop.tenant, time=datetime(2026, 6, 1, 9, minute, tzinfo=SH))


def records(envs: list[Envelope]) -> list[ConsumerRecord]:
    base = uuid.uuid4().int % 10**9  # offsets of their own: the dead-letter headers name them
    return [ConsumerRecord(REPAIR_ORDERS, 0, base + i, 0, 0, env.subject.encode(), env.value(), None, 0, 0,
                           tuple(env.headers())) for i, env in enumerate(envs)]


async def follow_ups_of(crm, repair_orders: list[str]) -> dict[str, int]:
    async with crm.runtime.sessions() as s:
        rows = await s.execute(select(FollowUpRow.repair_order_id, func.count()).where(
            FollowUpRow.repair_order_id.in_(repair_orders)).group_by(FollowUpRow.repair_order_id))
        return dict(rows.all())


async def scheduled_events_caused_by(crm, envs: list[Envelope]) -> list[str]:
    """The causation ids of the FollowUpScheduled rows in crm's outbox caused by these deliveries."""
    t = outbox_table()
    async with crm.runtime.sessions() as s:
        rows = (await s.scalars(select(t.c.headers).where(t.c.event_type == "FollowUpScheduled.v1"))).all()
    ids = {env.id for env in envs}
    return sorted(h["ce_causationid"] for h in rows if h.get("ce_causationid") in ids)


async def test_a_batch_of_deliveries_is_applied_in_record_order_once_and_a_redelivered_batch_changes_nothing(
        start_service, token, infra, monkeypatch):
    async with start_service("crm", clock=FixedClock(NOW)) as crm:
        shop = Shop(crm, token, infra)
        (c1, v1), (c2, v2) = await shop.customer_and_vehicle(), await shop.customer_and_vehicle()
        first = delivered(shop, c1, v1, odometer_km=12000, declined_work=["rear wipers"],
                          next_service_date=date(2026, 12, 1))
        again = delivered(shop, c1, v1, ro=first.data["repair_order_id"], minute=5)  # reception sent it again
        other = delivered(shop, c2, v2, minute=10, odometer_km=30000)
        backwards = delivered(shop, c1, v1, minute=20, odometer_km=11000)  # below the reading just taken
        batch = records([first, other, first, again, backwards])
        consumer = care.consumer(crm.runtime)

        async def one_by_one(*_):
            raise AssertionError("the batch fell back to one by one")
        monkeypatch.setattr(consumer, "process", one_by_one)
        results = await consumer.process_batch(batch, consumer_handlers(consumer))
        assert results == ["handled", "handled", "duplicate", "handled", "handled"]

        ros = [first.data["repair_order_id"], other.data["repair_order_id"], backwards.data["repair_order_id"]]
        assert await follow_ups_of(crm, ros) == dict.fromkeys(ros, 1)
        assert await scheduled_events_caused_by(crm, [first, again, other, backwards]) == sorted(
            [first.id, other.id, backwards.id])
        async with crm.runtime.sessions() as s:
            readings = (await s.execute(select(OdometerReadingRow.vehicle_id, OdometerReadingRow.km).where(
                OdometerReadingRow.vehicle_id.in_([v1["id"], v2["id"]])))).all()
            odometers = dict((await s.execute(select(VehicleRow.id, VehicleRow.odometer_km).where(
                VehicleRow.id.in_([v1["id"], v2["id"]])))).all())
            declined = (await s.scalars(select(CallTaskRow.dedupe_key).where(
                CallTaskRow.customer_id == c1["id"]))).all()
            audited = await s.scalar(select(func.count()).select_from(audit_table()).where(
                audit_table().c.aggregate_type == "follow_ups", audit_table().c.dealer_group_id == shop.group))
        # the lower reading later in the batch was kept out, as one at a time would
        assert sorted(readings) == sorted([(v1["id"], 12000), (v2["id"], 30000)])
        assert odometers == {v1["id"]: 12000, v2["id"]: 30000}
        assert declined == [f"declined_work:{first.data['repair_order_id']}"]
        assert audited == 3

        # the whole batch delivered again: every record a duplicate, nothing written twice
        assert await consumer.process_batch(batch, consumer_handlers(consumer)) == ["duplicate"] * 5
        assert await follow_ups_of(crm, ros) == dict.fromkeys(ros, 1)
        assert len(await scheduled_events_caused_by(crm, [first, other, backwards])) == 3


async def test_one_unknown_vehicle_in_a_batch_is_dead_lettered_and_the_rest_applied_exactly_once(
        start_service, token, infra):
    async with start_service("crm", clock=FixedClock(NOW)) as crm:
        shop = Shop(crm, token, infra)
        (c1, v1), (c2, v2) = await shop.customer_and_vehicle(), await shop.customer_and_vehicle()
        good = [delivered(shop, c1, v1, minute=1), delivered(shop, c2, v2, minute=2)]
        poison = delivered(shop, c1, f"v-{uuid.uuid4().hex[:8]}", minute=3)  # a vehicle crm never had
        later = delivered(shop, c2, v2, minute=4, declined_work=["brake fluid"])
        batch = records([good[0], poison, good[1], later])
        consumer = care.consumer(crm.runtime, retry_backoff_seconds=0.01)
        results = await consumer.process_batch(batch, consumer_handlers(consumer))
        assert results == ["handled", "dead-lettered", "handled", "handled"]

        applied = [*good, later]
        ros = [e.data["repair_order_id"] for e in applied]
        assert await follow_ups_of(crm, [*ros, poison.data["repair_order_id"]]) == dict.fromkeys(ros, 1)
        assert await scheduled_events_caused_by(crm, [*applied, poison]) == sorted(e.id for e in applied)
        async with crm.runtime.sessions() as s:
            inbox = set((await s.scalars(select(inbox_table().c.event_id).where(
                inbox_table().c.consumer == consumer.name,
                inbox_table().c.event_id.in_([e.id for e in [*applied, poison]])))).all())
        assert inbox == {e.id for e in applied}
        dead = await read_topic(infra.kafka_bootstrap, dlq_topic(REPAIR_ORDERS),
                                until=lambda rs: any(header(r, "ce_id") == poison.id for r in rs))
        [mine] = [r for r in dead if header(r, "ce_id") == poison.id]
        assert header(mine, "dlq_error").startswith("NotFound") and header(mine, "dlq_attempts") == "3"

        # the same batch again: the applied ones are duplicates, nothing is written twice
        again = await consumer.process_batch(batch, consumer_handlers(consumer))
        assert [again[0], again[2], again[3]] == ["duplicate"] * 3
        assert await follow_ups_of(crm, ros) == dict.fromkeys(ros, 1)


def consumer_handlers(consumer) -> dict:
    """The handlers by event type the consumer subscribed for reception's repair-order topic."""
    return consumer.by_topic[REPAIR_ORDERS]
