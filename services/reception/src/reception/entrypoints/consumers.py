"""reception's Kafka consumers: replicas of what other services own, and their facts about our orders.

Five consumer groups ("reception.<name>"), each handler `(uow, event)`; `uow.envelope` is the event's
CloudEvent (tenant, id, time) and `uow.actor` this consumer acting for the event's dealer group.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shared.contracts import crm, parts, workshop
from shared.kit import EventHandlers, UnitOfWork, Upsert
from shared.observability import get_logger

from ..adapters.orm import (
    CustomerReplica,
    LabourOperationReplica,
    PartReplica,
    VehicleReplica,
    WorkshopCapacityReplica,
)
from ..adapters.repository import Appointments, RepairOrders
from ..domain.appointment import ShortPart
from ..domain.pricing import PartItem
from ..domain.repair_order import RepairOrder, RoState
from ..service_layer.repair_orders import record_added_work_found, walk_in_matched

log = get_logger(__name__)

replicas = EventHandlers("replicas")
catalogue = EventHandlers("catalogue")
stock = EventHandlers("stock")
workshop_jobs = EventHandlers("workshop-jobs")
parts_issues = EventHandlers("parts-issues")

GROUPS = [replicas, catalogue, stock, workshop_jobs, parts_issues]

_customers = Upsert(CustomerReplica, keys=("customer_id",))
_vehicles = Upsert(VehicleReplica, keys=("vehicle_id",))
_operations = Upsert(LabourOperationReplica, keys=("dealer_group_id", "store_id", "operation_code"))
_capacities = Upsert(WorkshopCapacityReplica, keys=("dealer_group_id", "store_id", "day"))
_parts = Upsert(PartReplica, keys=("dealer_group_id", "store_id", "part_no"))


def _tenant(uow: UnitOfWork) -> dict:
    return dict(dealer_group_id=uow.envelope.tenant.dealer_group_id, store_id=uow.envelope.tenant.store_id)


# -- crm.customers --------------------------------------------------------------------------------
@replicas.on(crm.CustomerRegistered, crm.CustomerUpdated)
async def on_customer(uow: UnitOfWork, e: crm.CustomerRegistered | crm.CustomerUpdated) -> None:
    env = uow.envelope
    await _customers(uow.session, dict(
        customer_id=e.customer_id, dealer_group_id=env.tenant.dealer_group_id, store_id=e.home_store_id,
        kind=e.kind.value, name=e.name, phones=e.phones, contact_window=e.contact_window,
        consent_to_call=e.consent_to_call, source_event_id=env.id, updated_at=env.time))


@replicas.on(crm.VehicleRegistered, crm.VehicleUpdated)
async def on_vehicle(uow: UnitOfWork, e: crm.VehicleRegistered | crm.VehicleUpdated) -> None:
    # A tolerant reader: fields crm adds to the event later (optional, same version) are ignored here
    # until reception needs them, instead of failing the insert and dead-lettering the event.
    known = {k: v for k, v in e.model_dump().items() if k in VehicleReplica.model_fields}
    await _vehicles(uow.session, dict(**_tenant(uow), source_event_id=uow.envelope.id, updated_at=uow.envelope.time,
                                      **known))


@replicas.on(crm.WalkInMatched)
async def on_walk_in_matched(uow: UnitOfWork, e: crm.WalkInMatched) -> None:
    await walk_in_matched(uow, e)


# -- workshop.catalogue and parts.stock -----------------------------------------------------------
@catalogue.on(workshop.LabourOperationDefined)
async def on_labour_operation(uow: UnitOfWork, e: workshop.LabourOperationDefined) -> None:
    await _operations(uow.session, dict(
        **_tenant(uow), operation_code=e.operation_code, description=e.description,
        flat_rate_hours=e.flat_rate_hours, skill=e.skill, default_pay_type=e.default_pay_type.value,
        parts_kit=[p.model_dump(mode="json") for p in e.parts_kit], source_event_id=uow.envelope.id,
        updated_at=uow.envelope.time))


@catalogue.on(workshop.WorkshopCapacitySet)
async def on_capacity(uow: UnitOfWork, e: workshop.WorkshopCapacitySet) -> None:
    await _capacities(uow.session, dict(**_tenant(uow), day=e.day, bays=e.bays, technician_hours=e.technician_hours,
                                        updated_at=uow.envelope.time))


@stock.on(parts.StockLevelChanged)
async def on_stock(uow: UnitOfWork, e: parts.StockLevelChanged) -> None:
    await _parts(uow.session, dict(**_tenant(uow), part_no=e.part_no, on_hand=e.on_hand, reserved=e.reserved,
                                   available=e.available, on_order=e.on_order, updated_at=uow.envelope.time))


@stock.on(parts.PartPriceChanged)
async def on_price(uow: UnitOfWork, e: parts.PartPriceChanged) -> None:
    await _parts(uow.session, dict(**_tenant(uow), part_no=e.part_no, description=e.description,
                                   retail_price=e.retail_price, updated_at=uow.envelope.time))


# -- workshop.jobs and parts.issues: facts about our repair orders and bookings ----------------------
async def _with_order(uow: UnitOfWork, ro_id: str, apply: Callable[[RepairOrder], Awaitable[Any]]) -> None:
    """Apply a fact to the order it names (of the event's dealer group) and save it unless `apply` says False.
    Facts do not change the order's version: the advisor's copy does not go stale."""
    orders = uow.repo(RepairOrders)
    ro = await orders.find(ro_id)
    if ro is None:
        log.warning("reception.unknown_repair_order", event_type=uow.envelope.type, repair_order_id=ro_id)
        return
    if await apply(ro) is not False:
        await orders.save(ro)


def _fact(change: Callable[[RepairOrder], Any]) -> Callable[[RepairOrder], Awaitable[None]]:
    async def apply(ro: RepairOrder) -> None:
        change(ro)
    return apply


@workshop_jobs.on(workshop.AdditionalWorkFound)
async def on_added_work(uow: UnitOfWork, e: workshop.AdditionalWorkFound) -> None:
    async def apply(ro: RepairOrder) -> bool:
        if ro.state is not RoState.OPEN:
            log.warning("reception.added_work_on_closed_order", repair_order_id=ro.id, state=ro.state.value)
            return False
        return await record_added_work_found(
            uow, ro, finding_id=e.finding_id, description=e.description, safety_related=e.safety_related,
            operation_code=e.operation_code, estimated_hours=e.estimated_hours,
            parts=[PartItem(part_no=p.part_no, quantity=p.quantity, unit_price=p.unit_price) for p in e.parts])
    await _with_order(uow, e.repair_order_id, apply)


@workshop_jobs.on(workshop.JobCompleted)
async def on_job_completed(uow: UnitOfWork, e: workshop.JobCompleted) -> None:
    await _with_order(uow, e.repair_order_id, _fact(lambda ro: ro.job_completed(e.job_id)))


@workshop_jobs.on(workshop.ReworkStarted)
async def on_rework(uow: UnitOfWork, e: workshop.ReworkStarted) -> None:
    await _with_order(uow, e.repair_order_id, _fact(lambda ro: ro.rework_started(e.job_id)))


@workshop_jobs.on(workshop.InspectionPassed)
async def on_inspection_passed(uow: UnitOfWork, e: workshop.InspectionPassed) -> None:
    """One of the three checks (三检) passed; out of order (or on a job not completed) it does not count."""
    def apply(ro: RepairOrder) -> None:
        if not ro.inspection_passed(e.stage, e.job_id):
            log.warning("reception.inspection_out_of_order", repair_order_id=ro.id, job_id=e.job_id,
                        stage=e.stage.value)
    await _with_order(uow, e.repair_order_id, _fact(apply))


@workshop_jobs.on(workshop.InspectionFailed)
async def on_inspection_failed(uow: UnitOfWork, e: workshop.InspectionFailed) -> None:
    await _with_order(uow, e.repair_order_id, _fact(lambda ro: ro.inspection_failed(e.job_id)))


@workshop_jobs.on(workshop.VehicleWashed)
async def on_washed(uow: UnitOfWork, e: workshop.VehicleWashed) -> None:
    await _with_order(uow, e.repair_order_id, _fact(lambda ro: ro.vehicle_washed()))


@parts_issues.on(parts.PartsIssued, parts.PartsReturned)
async def on_parts_moved(uow: UnitOfWork, e: parts.PartsIssued | parts.PartsReturned) -> None:
    returned = isinstance(e, parts.PartsReturned)
    await _with_order(uow, e.reference_id, _fact(lambda ro: ro.parts_moved(e.lines, returned=returned)))


@parts_issues.on(parts.PartsReserved, parts.PartsShortage)
async def on_reservation(uow: UnitOfWork, e: parts.PartsReserved | parts.PartsShortage) -> None:
    if e.reference_type == "repair_order":
        reserved = isinstance(e, parts.PartsReserved)
        await _with_order(uow, e.reference_id, _fact(
            lambda ro: ro.parts_reserved(e.lines) if reserved else ro.parts_short(e.lines)))
        return
    if e.reference_type != "appointment":
        return
    bookings = uow.repo(Appointments)
    a = await bookings.find(e.reference_id)
    if a is None:
        log.warning("reception.unknown_appointment", event_type=uow.envelope.type, appointment_id=e.reference_id)
        return
    if isinstance(e, parts.PartsReserved):
        a.parts_reserved()
    else:
        a.parts_short([ShortPart(part_no=ln.part_no, needed=ln.quantity,
                                 available=max(ln.quantity - ln.quantity_short, 0),
                                 expected_arrival=ln.expected_arrival) for ln in e.lines])
    await bookings.save(a)
