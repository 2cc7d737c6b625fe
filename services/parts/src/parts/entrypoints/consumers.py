"""parts's consumer groups: "parts.reception" (bookings and repair orders from reception) and
"parts.workshop-jobs" (technicians' parts requests from workshop).

Bookings and opened repair orders reserve their parts or report a shortage (once per booking or order,
however often the event arrives: the inbox skips a redelivered id and the demand, keyed by the
reference, skips a second event for the same one); cancel, no-show and close release them. parts
keeps a copy of each repair order (open or closed, its jobs) so issues go only against an open
order's job. An approved added job reserves its parts like the order's own jobs; a technician's request
(PartsRequested) becomes a slip on the order, once per request id, and reserves what goes beyond its job's
plan.
"""

from __future__ import annotations

from shared.contracts import reception, workshop
from shared.kit import EventHandlers, UnitOfWork

from ..adapters.repository import RepairOrderCopies
from ..domain.issuing import JobCopy, RepairOrderCopy
from ..service_layer import demand, issuing

bookings = EventHandlers("reception")


def _store(uow: UnitOfWork) -> str:
    return uow.envelope.tenant.store_id


@bookings.on(reception.AppointmentBooked)
async def appointment_booked(uow: UnitOfWork, e: reception.AppointmentBooked) -> None:
    await demand.reserve(uow, reference_id=e.appointment_id, reference_type="appointment", store_id=_store(uow),
                         lines=e.parts, ask="booked")


@bookings.on(reception.AppointmentCancelled, reception.AppointmentNoShow)
async def appointment_released(uow: UnitOfWork, e: reception.AppointmentCancelled) -> None:
    await demand.release(uow, e.appointment_id)


async def _copy(uow: UnitOfWork, repair_order_id: str) -> tuple[RepairOrderCopy, bool]:
    ro = await uow.repo(RepairOrderCopies).find(repair_order_id)
    if ro is not None:
        return ro, False
    return RepairOrderCopy(id=repair_order_id, dealer_group_id=uow.envelope.tenant.dealer_group_id,
                           store_id=_store(uow)), True


async def _keep(uow: UnitOfWork, ro: RepairOrderCopy, new: bool) -> None:
    await (uow.repo(RepairOrderCopies).add(ro) if new else uow.repo(RepairOrderCopies).save(ro))


@bookings.on(reception.VehicleCheckedIn)
async def checked_in(uow: UnitOfWork, e: reception.VehicleCheckedIn) -> None:
    ro, new = await _copy(uow, e.repair_order_id)
    ro.appointment_id = e.appointment_id
    await _keep(uow, ro, new)


@bookings.on(reception.RepairOrderOpened)
async def repair_order_opened(uow: UnitOfWork, e: reception.RepairOrderOpened) -> None:
    """The order's parts move from the booking's reservation to the order's (or are reported short)."""
    ro, new = await _copy(uow, e.repair_order_id)
    lines = ro.opened(e.number, [JobCopy(job_id=j.job_id, description=j.description, pay_type=j.pay_type,
                                         parts=j.parts) for j in e.jobs])
    if lines is None:
        return
    await _keep(uow, ro, new)
    if ro.appointment_id:
        await demand.release(uow, ro.appointment_id)
    await demand.reserve(uow, reference_id=ro.id, reference_type="repair_order", store_id=ro.store_id,
                         lines=lines, ask="opened")


@bookings.on(reception.AdditionalWorkApproved)
async def added_work(uow: UnitOfWork, e: reception.AdditionalWorkApproved) -> None:
    """The approved added job (增项) joins the order's plan and its parts are reserved like the order's own."""
    ro = await uow.repo(RepairOrderCopies).find(e.repair_order_id)
    if ro is None or not ro.open:
        return
    lines = ro.job_added(JobCopy(job_id=e.job.job_id, description=e.job.description, pay_type=e.job.pay_type,
                                 parts=e.job.parts))
    if lines is None:
        return
    await uow.repo(RepairOrderCopies).save(ro)
    await demand.reserve(uow, reference_id=ro.id, reference_type="repair_order", store_id=ro.store_id,
                         lines=lines, ask=f"added:{e.job.job_id}")


@bookings.on(reception.RepairOrderInvoiced, reception.VehicleDelivered, reception.RepairOrderCancelled)
async def repair_order_closed(uow: UnitOfWork, e: reception.RepairOrderCancelled) -> None:
    """Settled, delivered or cancelled: no more issues against it; what is still reserved goes back."""
    ro, new = await _copy(uow, e.repair_order_id)
    if not ro.closed_because:
        ro.close({"RepairOrderInvoiced": "invoiced", "VehicleDelivered": "delivered"}.get(
            type(e).__name__, "cancelled"))
        await _keep(uow, ro, new)
    await demand.release(uow, ro.id)


workshop_jobs = EventHandlers("workshop-jobs")


@workshop_jobs.on(workshop.PartsRequested)
async def parts_requested(uow: UnitOfWork, e: workshop.PartsRequested) -> None:
    """A technician's request for a job: a slip on the repair order and, beyond the job's plan, a reservation."""
    await issuing.parts_requested(uow, store_id=_store(uow), repair_order_id=e.repair_order_id, job_id=e.job_id,
                                  request_id=e.request_id, technician_id=e.technician_id, lines=e.lines)


EVENTS: list[EventHandlers] = [bookings, workshop_jobs]
