"""reception's test helpers: feed upstream events to Kafka exactly as crm, workshop and parts would."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from shared.clock import FixedClock
from shared.contracts import crm, parts, workshop
from shared.contracts.base import DomainEvent
from shared.messaging.envelope import Envelope, Tenant

from tests.support.factories import eventually, new_store, new_vin
from tests.support.kafka import kafka_producer, publish

GROUP = "dg-test"
SH = ZoneInfo("Asia/Shanghai")




class Upstream:
    """Publishes CloudEvents as the upstream services do (outbox-relay shape: key = aggregate id)."""

    def __init__(self, producer: AIOKafkaProducer, bootstrap: str) -> None:
        self.producer = producer
        self.bootstrap = bootstrap

    new_vin = staticmethod(new_vin)
    new_store = staticmethod(new_store)
    eventually = staticmethod(eventually)

    async def replicated(self, reception, model, key) -> object:
        """Wait until reception's replica holds the row."""
        async def get():
            async with reception.runtime.sessions() as s:
                return await s.get(model, key)
        row = await eventually(get)
        assert row is not None, f"reception never replicated {model.__name__} {key}"
        return row

    async def publish(self, event: DomainEvent, *, store: str, source: str, group: str = GROUP) -> Envelope:
        env = Envelope.new(event, source=source, tenant=Tenant(group, store))
        await publish(self.producer, env)
        return env

    async def vehicle(self, store: str, *, prewarning: bool = False, odometer_km: int = 10000) -> dict:
        customer_id, vehicle_id, vin = str(uuid.uuid4()), str(uuid.uuid4()), new_vin()
        await self.publish(crm.CustomerRegistered(customer_id=customer_id, kind=crm.CustomerKind.PERSON, name="王伟",
                                                  phones=["13800138000"], home_store_id=store),
                           store=store, source="crm")
        await self.publish(crm.VehicleRegistered(vehicle_id=vehicle_id, vin=vin, plate="沪A12345", model="Passat",
                                                 owner_customer_id=customer_id, odometer_km=odometer_km,
                                                 warranty_prewarning=prewarning), store=store, source="crm")
        return {"customer_id": customer_id, "vehicle_id": vehicle_id, "vin": vin}

    async def operation(self, store: str, code: str, hours: str, kit: list[tuple[str, str]] = (),
                        pay_type: str = "customer", description: str | None = None) -> None:
        from shared.contracts.common import PartLine, PayType
        await self.publish(workshop.LabourOperationDefined(
            operation_code=code, description=description or f"operation {code}", flat_rate_hours=Decimal(hours),
            skill="mechanical", default_pay_type=PayType(pay_type),
            parts_kit=[PartLine(part_no=p, quantity=Decimal(q)) for p, q in kit]), store=store, source="workshop")

    async def part(self, store: str, part_no: str, *, available: str, price: str) -> None:
        await self.publish(parts.PartPriceChanged(part_no=part_no, description=f"part {part_no}",
                                                  retail_price=Decimal(price)), store=store, source="parts")
        await self.publish(parts.StockLevelChanged(part_no=part_no, on_hand=Decimal(available), reserved=Decimal(0),
                                                   available=Decimal(available)), store=store, source="parts")

    async def capacity(self, store: str, day, bays: int, hours: str) -> None:
        await self.publish(workshop.WorkshopCapacitySet(day=day, bays=bays, technician_hours=Decimal(hours)),
                           store=store, source="workshop")

    async def events_for(self, topic: str, aggregate_id: str, *, until, timeout: float = 30.0) -> list[dict]:
        """The events on `topic` keyed by `aggregate_id`, as {"type", "data"}, once `until(types)` holds."""
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=self.bootstrap, group_id=f"test-{uuid.uuid4()}",
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        out: list[dict] = []
        try:
            deadline = asyncio.get_running_loop().time() + timeout
            while asyncio.get_running_loop().time() < deadline:
                batch = await consumer.getmany(timeout_ms=300)
                for recs in batch.values():
                    for r in recs:
                        if r.key == aggregate_id.encode():
                            h = {k: v.decode() for k, v in r.headers}
                            out.append({"type": h["ce_type"], "data": json.loads(r.value)})
                if until([e["type"] for e in out]):
                    # a little longer, so a duplicate would show up too
                    for recs in (await consumer.getmany(timeout_ms=500)).values():
                        out += [{"type": dict((k, v.decode()) for k, v in r.headers)["ce_type"],
                                 "data": json.loads(r.value)} for r in recs if r.key == aggregate_id.encode()]
                    break
            return out
        finally:
            await consumer.stop()


@pytest_asyncio.fixture(scope="session")
async def upstream(infra) -> Upstream:
    async with kafka_producer(infra) as producer:
        yield Upstream(producer, infra.kafka_bootstrap)


@pytest.fixture
def clock() -> FixedClock:
    """Tuesday 1 December 2026, 10:00 in the stores' time zone."""
    return FixedClock(datetime(2026, 12, 1, 10, 0, tzinfo=SH))

