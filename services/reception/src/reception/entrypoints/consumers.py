"""reception's Kafka consumers: keep replicas of what other services own."""

from __future__ import annotations

from shared.contracts import crm
from shared.messaging.consumer import ConsumerDeps, IdempotentConsumer
from shared.messaging.envelope import Envelope
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from ..adapters.orm import CustomerReplica, VehicleReplica


async def _upsert(session: AsyncSession, model, key: str, values: dict) -> None:
    stmt = insert(model).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[key], set_={k: stmt.excluded[k] for k in values if k != key}))


async def on_customer(session: AsyncSession, env: Envelope, e: crm.CustomerRegistered | crm.CustomerUpdated):
    await _upsert(session, CustomerReplica, "customer_id", dict(
        customer_id=e.customer_id, dealer_group_id=env.tenant.dealer_group_id, store_id=e.home_store_id,
        kind=e.kind.value, name=e.name, phones=e.phones, contact_window=e.contact_window,
        consent_to_call=e.consent_to_call, source_event_id=env.id, updated_at=env.time))


async def on_vehicle(session: AsyncSession, env: Envelope, e: crm.VehicleRegistered | crm.VehicleUpdated):
    await _upsert(session, VehicleReplica, "vehicle_id", dict(
        dealer_group_id=env.tenant.dealer_group_id, store_id=env.tenant.store_id, source_event_id=env.id,
        updated_at=env.time, **e.model_dump()))


def build_consumers(service: str, deps: ConsumerDeps, *, max_attempts: int, backoff: float) -> list[IdempotentConsumer]:
    replicas = IdempotentConsumer(service=service, name=f"{service}.replicas", deps=deps,
                                  max_attempts=max_attempts, retry_backoff_seconds=backoff)
    replicas.subscribe(crm.CUSTOMERS, {
        crm.CustomerRegistered: on_customer,
        crm.CustomerUpdated: on_customer,
        crm.VehicleRegistered: on_vehicle,
        crm.VehicleUpdated: on_vehicle,
    })
    return [replicas]
