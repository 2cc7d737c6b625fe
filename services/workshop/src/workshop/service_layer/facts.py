"""What workshop does with reception's and parts' facts: the queue of jobs, re-planning on added
work, closing orders, and the parts issued against jobs. Each is safe to receive twice."""

from __future__ import annotations

from shared.contracts import parts, reception
from shared.contracts.common import RepairJob
from shared.kit import UnitOfWork
from shared.observability import get_logger

from ..adapters.repository import WorkOrders, operation
from ..domain.work_order import Job, WorkOrder

log = get_logger(__name__)


async def _job(uow: UnitOfWork, store_id: str, j: RepairJob) -> Job:
    """A job of the order, its skill from the operation code where the catalogue knows it."""
    op = await operation(uow, store_id, j.operation_code) if j.operation_code else None
    return Job(job_id=j.job_id, description=j.description, operation_code=j.operation_code,
               skill=op.skill.value if op else "mechanical", flat_rate_hours=j.flat_rate_hours,
               safety_related=j.safety_related, parts_needed=list(j.parts))


async def repair_order_opened(uow: UnitOfWork, e: reception.RepairOrderOpened) -> WorkOrder | None:
    """The signed order's jobs join the queue with the promised time, once (a second delivery is ignored)."""
    orders = uow.repo(WorkOrders)
    if await orders.find(e.repair_order_id) is not None:
        return None
    store = uow.envelope.tenant.store_id
    wo = WorkOrder(id=e.repair_order_id, dealer_group_id=uow.actor.dealer_group_id, store_id=store,
                   number=e.number, vehicle_id=e.vehicle_id, promised_at=e.promised_at,
                   waiting_customer=e.transport == "waits", comeback=e.comeback_of is not None,
                   wash_requested=e.wash, opened_at=uow.now(),
                   jobs=[await _job(uow, store, j) for j in e.jobs])
    await orders.add(wo)
    return wo


async def _order(uow: UnitOfWork, ro_id: str) -> WorkOrder | None:
    wo = await uow.repo(WorkOrders).find(ro_id)
    if wo is None:
        log.warning("workshop.unknown_repair_order", event_type=uow.envelope.type if uow.envelope else None,
                    repair_order_id=ro_id)
    return wo


async def added_work_approved(uow: UnitOfWork, e: reception.AdditionalWorkApproved) -> None:
    wo = await _order(uow, e.repair_order_id)
    if wo is not None:
        wo.added_work_approved(e.finding_id, await _job(uow, wo.store_id, e.job), uow.now())
        await uow.repo(WorkOrders).save(wo)


async def added_work_declined(uow: UnitOfWork, e: reception.AdditionalWorkDeclined) -> None:
    wo = await _order(uow, e.repair_order_id)
    if wo is not None:
        wo.added_work_declined(e.finding_id)
        await uow.repo(WorkOrders).save(wo)


async def order_closed(uow: UnitOfWork, e: reception.VehicleDelivered | reception.RepairOrderCancelled) -> None:
    wo = await _order(uow, e.repair_order_id)
    if wo is not None:
        wo.close()
        await uow.repo(WorkOrders).save(wo)


async def parts_moved(uow: UnitOfWork, e: parts.PartsIssued | parts.PartsReturned) -> None:
    wo = await uow.repo(WorkOrders).find(e.reference_id)
    if wo is None:
        return  # a booking's reservation or another service's reference: not a job of ours
    wo.parts_moved(e.lines, job_id=getattr(e, "job_id", None), returned=isinstance(e, parts.PartsReturned))
    await uow.repo(WorkOrders).save(wo)
