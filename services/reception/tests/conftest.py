"""reception's test helpers: feed upstream events to Kafka exactly as crm, workshop and parts would."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from shared.clock import FixedClock
from shared.contracts import crm, parts, workshop

from tests.support.factories import eventually, new_vin
from tests.support.kafka import kafka_producer
from tests.support.upstream import Upstream as BaseUpstream

SH = ZoneInfo("Asia/Shanghai")




class Upstream(BaseUpstream):
    """crm's, workshop's and parts' facts as reception hears them."""

    async def replicated(self, reception, model, key) -> object:
        """Wait until reception's replica holds the row."""
        async def get():
            async with reception.runtime.sessions() as s:
                return await s.get(model, key)
        row = await eventually(get)
        assert row is not None, f"reception never replicated {model.__name__} {key}"
        return row

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


@pytest_asyncio.fixture(scope="session")
async def upstream(infra) -> Upstream:
    async with kafka_producer(infra) as producer:
        yield Upstream(producer, infra.kafka_bootstrap)


@pytest.fixture
def clock() -> FixedClock:
    """Tuesday 1 December 2026, 10:00 in the stores' time zone."""
    return FixedClock(datetime(2026, 12, 1, 10, 0, tzinfo=SH))

