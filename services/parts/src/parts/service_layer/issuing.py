"""Issuing (领料): requisition slips against an open repair order's job, signatures, the issue itself
(交旧领新 first), and returns. Each part's stock card is locked while it moves, so two slips racing for
the last unit cannot both take it."""

from __future__ import annotations

import uuid

from shared.auth import Role
from shared.contracts.common import PartLine, PayType
from shared.errors import Forbidden
from shared.kit import UnitOfWork

from ..adapters.repository import IssueSlips, Parts, RepairOrderCopies
from ..domain.issuing import IssueSlip, RepairOrderCopy, SlipLine, check_requester, covered
from ..domain.stock import Part
from . import commands as c
from . import demand
from .stock import parts_for


async def request_parts(uow: UnitOfWork, cmd: c.RequestParts) -> IssueSlip:
    uow.actor.check_store(cmd.store_id)
    ro = await uow.repo(RepairOrderCopies).get(cmd.repair_order_id, lock=False)
    job = ro.job(cmd.job_id)
    stock = await parts_for(uow, ro.store_id, [ln.part_no for ln in cmd.lines])  # 404 for an unknown part
    technician = check_requester({r.value for r in uow.actor.roles}, cmd.technician_id, uow.actor.user_id)
    slip = IssueSlip(id=str(uuid.uuid4()), dealer_group_id=ro.dealer_group_id, store_id=ro.store_id,
                     repair_order_id=ro.id, job_id=job.job_id, warranty=job.pay_type is PayType.WARRANTY,
                     technician_id=technician, requested_at=uow.now(),
                     lines=[SlipLine(part_no=ln.part_no, quantity=ln.quantity,
                                     in_stock_at_request=covered(stock, ro.id, ln.part_no, ln.quantity))
                            for ln in cmd.lines])
    await uow.repo(IssueSlips).add(slip)
    return slip


async def sign_slip(uow: UnitOfWork, cmd: c.SignSlip) -> IssueSlip:
    """The advisor countersigns, or (warranty jobs) the warranty specialist signs off."""
    slip = await uow.repo(IssueSlips).get(cmd.slip_id)
    if Role.WARRANTY_SPECIALIST in uow.actor.roles and slip.warranty and not slip.warranty_signoff_by:
        slip.sign_off_warranty(uow.actor.user_id)
    elif Role.ADVISOR in uow.actor.roles or Role.FRONT_DESK_SUPERVISOR in uow.actor.roles:
        slip.sign_as_advisor(uow.actor.user_id)
    else:
        raise Forbidden("only the advisor signs the slip; the warranty specialist signs off warranty jobs")
    await uow.repo(IssueSlips).save(slip)
    return slip


async def issue_parts(uow: UnitOfWork, cmd: c.IssueParts) -> IssueSlip:
    slip = await uow.repo(IssueSlips).get(cmd.slip_id)
    ro = await uow.repo(RepairOrderCopies).get(slip.repair_order_id)
    slip.for_job(ro.job(slip.job_id))  # still open? a warranty job?
    stock = await parts_for(uow, slip.store_id, [ln.part_no for ln in slip.lines])
    slip.hand_in_old_parts({o.part_no: o.disposition for o in cmd.old_parts})
    slip.check_ready({no: p.exchange_required for no, p in stock.items()})
    for ln in slip.lines:
        stock[ln.part_no].issue(ln.quantity, at=uow.now(), reference=ro.id, by=uow.actor.user_id)
    slip.issued(by=uow.actor.user_id, at=uow.now(), prices={no: p.retail_price for no, p in stock.items()})
    ro.count([PartLine(part_no=ln.part_no, quantity=ln.quantity) for ln in slip.lines], returned=False)
    for p in stock.values():
        await uow.repo(Parts).save(p)
    await uow.repo(IssueSlips).save(slip)
    await uow.repo(RepairOrderCopies).save(ro)
    return slip


async def return_parts(uow: UnitOfWork, cmd: c.ReturnParts) -> IssueSlip:
    slip = await uow.repo(IssueSlips).get(cmd.slip_id)
    stock = await parts_for(uow, slip.store_id, [ln.part_no for ln in cmd.lines])
    lines = [PartLine(part_no=ln.part_no, quantity=ln.quantity) for ln in cmd.lines]
    slip.take_back(lines, reason=("quality: " if cmd.quality else "") + cmd.reason)
    for ln in cmd.lines:
        stock[ln.part_no].take_back(ln.quantity, quality=cmd.quality, at=uow.now(), reference=slip.repair_order_id,
                                    by=uow.actor.user_id)
    ro = await uow.repo(RepairOrderCopies).find(slip.repair_order_id)
    if ro is not None:
        ro.count(lines, returned=True)
        await uow.repo(RepairOrderCopies).save(ro)
    for p in stock.values():
        await uow.repo(Parts).save(p)
    await uow.repo(IssueSlips).save(slip)
    return slip


async def parts_requested(uow: UnitOfWork, *, store_id: str, repair_order_id: str, job_id: str, request_id: str,
                          technician_id: str, lines: list[PartLine]) -> IssueSlip | None:
    """workshop's PartsRequested: the technician's request becomes a slip the technician has signed (its id is
    the request's, so a second delivery finds it) and what goes beyond the job's reserved parts is reserved on
    the repair order. The advisor still countersigns before anything is issued. Nothing for a closed order."""
    ro = await uow.repo(RepairOrderCopies).find(repair_order_id)
    new = ro is None
    if new:  # the request overtook reception's events (another topic): keep it; the order opens later
        ro = RepairOrderCopy(id=repair_order_id, dealer_group_id=uow.actor.dealer_group_id, store_id=store_id)
    if ro.closed_because or await uow.repo(IssueSlips).find(request_id, lock=False) is not None:
        return None
    extra = ro.parts_requested(request_id, job_id, lines)
    if extra is None:
        return None
    stock = {}
    for no in sorted({ln.part_no for ln in lines}):
        found = await uow.repo(Parts).find(Part.id_for(ro.store_id, no), lock=False)
        if found is not None:
            stock[no] = found
    job = next((j for j in ro.jobs if j.job_id == job_id), None)
    slip = IssueSlip(id=request_id, request_id=request_id, dealer_group_id=ro.dealer_group_id, store_id=ro.store_id,
                     repair_order_id=ro.id, job_id=job_id, technician_id=technician_id, requested_at=uow.now(),
                     warranty=job is not None and job.pay_type is PayType.WARRANTY,
                     lines=[SlipLine(part_no=ln.part_no, quantity=ln.quantity,
                                     in_stock_at_request=covered(stock, ro.id, ln.part_no, ln.quantity))
                            for ln in lines])
    await uow.repo(IssueSlips).add(slip)
    await (uow.repo(RepairOrderCopies).add(ro) if new else uow.repo(RepairOrderCopies).save(ro))
    await demand.reserve(uow, reference_id=ro.id, reference_type="repair_order", store_id=ro.store_id,
                         lines=extra, ask=f"request:{request_id}")
    return slip
