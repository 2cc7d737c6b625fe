"""crm's Kafka consumers: what reception tells customer care."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from shared.contracts import reception
from shared.messaging.consumer import ConsumerDeps, IdempotentConsumer
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import Outbox
from sqlmodel.ext.asyncio.session import AsyncSession

from ..service_layer import care


def build_consumers(service: str, deps: ConsumerDeps, runtime_ref, *, timezone: str, max_attempts: int,
                    backoff: float) -> list[IdempotentConsumer]:
    """`runtime_ref()` gives the running service's Runtime (its outbox and clock)."""
    tz = ZoneInfo(timezone)

    def parts() -> tuple[Outbox, object]:
        rt = runtime_ref()
        return rt.outbox, rt.clock

    async def on_delivered(session: AsyncSession, env: Envelope, e: reception.VehicleDelivered) -> None:
        outbox, clock = parts()
        await care.vehicle_delivered(session, outbox, clock, tz, env, e)

    async def on_walk_in(session: AsyncSession, env: Envelope, e: reception.WalkInCustomerRecorded) -> None:
        outbox, clock = parts()
        await care.walk_in_recorded(session, outbox, clock, env, e)

    care_consumer = IdempotentConsumer(service=service, name=f"{service}.care", deps=deps,
                                       max_attempts=max_attempts, retry_backoff_seconds=backoff)
    care_consumer.subscribe(reception.REPAIR_ORDERS, {
        reception.WalkInCustomerRecorded: on_walk_in,
        reception.VehicleDelivered: on_delivered,
    })
    return [care_consumer]
