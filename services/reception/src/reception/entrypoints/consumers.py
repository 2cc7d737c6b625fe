"""reception's Kafka consumers: replicas of what other services own, and their facts about our orders."""

from __future__ import annotations

from shared.clock import Clock
from shared.contracts import crm, parts, workshop
from shared.messaging.consumer import ConsumerDeps, IdempotentConsumer
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import Outbox
from shared.observability import get_logger
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from ..adapters import repository as repo
from ..adapters.orm import (
    CustomerReplica,
    LabourOperationReplica,
    PartReplica,
    VehicleReplica,
    WorkshopCapacityReplica,
)
from ..config import Settings
from ..domain.appointment import ShortPart
from ..domain.pricing import PartItem
from ..domain.repair_order import RoState
from ..service_layer.common import Context
from ..service_layer.repair_orders import record_added_work_found

log = get_logger(__name__)


async def _upsert(session: AsyncSession, model, keys: list[str], values: dict) -> None:
    stmt = insert(model).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=keys, set_={k: stmt.excluded[k] for k in values if k not in keys}))


async def on_customer(session: AsyncSession, env: Envelope, e: crm.CustomerRegistered | crm.CustomerUpdated):
    await _upsert(session, CustomerReplica, ["customer_id"], dict(
        customer_id=e.customer_id, dealer_group_id=env.tenant.dealer_group_id, store_id=e.home_store_id,
        kind=e.kind.value, name=e.name, phones=e.phones, contact_window=e.contact_window,
        consent_to_call=e.consent_to_call, source_event_id=env.id, updated_at=env.time))


async def on_vehicle(session: AsyncSession, env: Envelope, e: crm.VehicleRegistered | crm.VehicleUpdated):
    # A tolerant reader: fields crm adds to the event later (optional, same version) are ignored here
    # until reception needs them, instead of failing the insert and dead-lettering the event.
    known = {k: v for k, v in e.model_dump().items() if k in VehicleReplica.model_fields}
    await _upsert(session, VehicleReplica, ["vehicle_id"], dict(
        dealer_group_id=env.tenant.dealer_group_id, store_id=env.tenant.store_id, source_event_id=env.id,
        updated_at=env.time, **known))


# -- workshop.catalogue and parts.stock -----------------------------------------------------------
def _tenant(env: Envelope) -> dict:
    return dict(dealer_group_id=env.tenant.dealer_group_id, store_id=env.tenant.store_id)


async def on_labour_operation(session: AsyncSession, env: Envelope, e: workshop.LabourOperationDefined):
    await _upsert(session, LabourOperationReplica, ["dealer_group_id", "store_id", "operation_code"], dict(
        **_tenant(env), operation_code=e.operation_code, description=e.description,
        flat_rate_hours=e.flat_rate_hours, skill=e.skill, default_pay_type=e.default_pay_type.value,
        parts_kit=[p.model_dump(mode="json") for p in e.parts_kit], source_event_id=env.id, updated_at=env.time))


async def on_capacity(session: AsyncSession, env: Envelope, e: workshop.WorkshopCapacitySet):
    await _upsert(session, WorkshopCapacityReplica, ["dealer_group_id", "store_id", "day"], dict(
        **_tenant(env), day=e.day, bays=e.bays, technician_hours=e.technician_hours, updated_at=env.time))


async def on_stock(session: AsyncSession, env: Envelope, e: parts.StockLevelChanged):
    await _upsert(session, PartReplica, ["dealer_group_id", "store_id", "part_no"], dict(
        **_tenant(env), part_no=e.part_no, on_hand=e.on_hand, reserved=e.reserved, available=e.available,
        on_order=e.on_order, updated_at=env.time))


async def on_price(session: AsyncSession, env: Envelope, e: parts.PartPriceChanged):
    await _upsert(session, PartReplica, ["dealer_group_id", "store_id", "part_no"], dict(
        **_tenant(env), part_no=e.part_no, description=e.description, retail_price=e.retail_price,
        updated_at=env.time))


# -- workshop.jobs and parts.issues: facts about our repair orders and bookings ----------------------
def order_facts(ctx: Context):
    async def with_order(session: AsyncSession, env: Envelope, ro_id: str, apply) -> None:
        ro = await repo.find_repair_order(session, ro_id)
        if ro is None or ro.dealer_group_id != env.tenant.dealer_group_id:
            log.warning("reception.unknown_repair_order", event_type=env.type, repair_order_id=ro_id)
            return
        if await apply(ro) is not False:
            await repo.save_repair_order(session, ro)

    async def on_added_work(session, env, e: workshop.AdditionalWorkFound):
        async def apply(ro):
            if ro.state is not RoState.OPEN:
                log.warning("reception.added_work_on_closed_order", repair_order_id=ro.id, state=ro.state.value)
                return False
            return await record_added_work_found(
                session, ctx, ro, finding_id=e.finding_id, description=e.description,
                safety_related=e.safety_related, operation_code=e.operation_code,
                estimated_hours=e.estimated_hours,
                parts=[PartItem(part_no=p.part_no, quantity=p.quantity, unit_price=p.unit_price) for p in e.parts])
        await with_order(session, env, e.repair_order_id, apply)

    async def on_job_completed(session, env, e: workshop.JobCompleted):
        async def apply(ro):
            ro.job_completed(e.job_id)
        await with_order(session, env, e.repair_order_id, apply)

    async def on_rework(session, env, e: workshop.ReworkStarted):
        async def apply(ro):
            ro.rework_started(e.job_id)
        await with_order(session, env, e.repair_order_id, apply)

    async def on_inspection(session, env, e: workshop.InspectionPassed | workshop.InspectionFailed):
        if e.stage is not workshop.InspectionStage.FINAL:
            return

        async def apply(ro):
            ro.final_inspection(isinstance(e, workshop.InspectionPassed))
        await with_order(session, env, e.repair_order_id, apply)

    async def on_washed(session, env, e: workshop.VehicleWashed):
        async def apply(ro):
            ro.vehicle_washed()
        await with_order(session, env, e.repair_order_id, apply)

    async def on_parts_moved(session, env, e: parts.PartsIssued | parts.PartsReturned):
        async def apply(ro):
            ro.parts_moved(e.lines, returned=isinstance(e, parts.PartsReturned))
        await with_order(session, env, e.reference_id, apply)

    async def on_reservation(session, env, e: parts.PartsReserved | parts.PartsShortage):
        if e.reference_type != "appointment":
            return
        a = await repo.find_appointment(session, e.reference_id)
        if a is None or a.dealer_group_id != env.tenant.dealer_group_id:
            log.warning("reception.unknown_appointment", event_type=env.type, appointment_id=e.reference_id)
            return
        if isinstance(e, parts.PartsReserved):
            a.parts_reserved()
        else:
            a.parts_short([ShortPart(part_no=ln.part_no, needed=ln.quantity,
                                     available=max(ln.quantity - ln.quantity_short, 0),
                                     expected_arrival=ln.expected_arrival) for ln in e.lines])
        await repo.save_appointment(session, a)

    return {
        "jobs": {workshop.AdditionalWorkFound: on_added_work, workshop.JobCompleted: on_job_completed,
                 workshop.ReworkStarted: on_rework, workshop.InspectionPassed: on_inspection,
                 workshop.InspectionFailed: on_inspection, workshop.VehicleWashed: on_washed},
        "issues": {parts.PartsIssued: on_parts_moved, parts.PartsReturned: on_parts_moved,
                   parts.PartsReserved: on_reservation, parts.PartsShortage: on_reservation},
    }


def build_consumers(service: str, deps: ConsumerDeps, *, max_attempts: int, backoff: float,
                    settings: Settings | None = None, clock: Clock | None = None) -> list[IdempotentConsumer]:
    def consumer(name: str) -> IdempotentConsumer:
        return IdempotentConsumer(service=service, name=f"{service}.{name}", deps=deps,
                                  max_attempts=max_attempts, retry_backoff_seconds=backoff)

    replicas = consumer("replicas")
    replicas.subscribe(crm.CUSTOMERS, {
        crm.CustomerRegistered: on_customer,
        crm.CustomerUpdated: on_customer,
        crm.VehicleRegistered: on_vehicle,
        crm.VehicleUpdated: on_vehicle,
    })
    catalogue = consumer("catalogue")
    catalogue.subscribe(workshop.CATALOGUE, {workshop.LabourOperationDefined: on_labour_operation,
                                             workshop.WorkshopCapacitySet: on_capacity})
    stock = consumer("stock")
    stock.subscribe(parts.STOCK, {parts.StockLevelChanged: on_stock, parts.PartPriceChanged: on_price})
    out = [replicas, catalogue, stock]
    if settings is not None and clock is not None:
        facts = order_facts(Context(outbox=Outbox(service), clock=clock, settings=settings))
        progress = consumer("workshop-jobs")
        progress.subscribe(workshop.JOBS, facts["jobs"])
        issues = consumer("parts-issues")
        issues.subscribe(parts.ISSUES, facts["issues"])
        out += [progress, issues]
    return out
