"""Stock counts (盘点) and write-offs (报损): variances explained, then corrected by ledger entries."""

from __future__ import annotations

import uuid

from shared.auth import Role
from shared.errors import DomainError, Forbidden
from shared.kit import UnitOfWork

from ..adapters.repository import Parts, StockCounts, WriteOffs
from ..domain.counts import CountLine, CountScope, StockCount
from ..domain.write_offs import Approver, WriteOff, WriteOffLine
from . import commands as c
from .stock import parts_for


async def start_count(uow: UnitOfWork, cmd: c.StartCount) -> StockCount:
    """The count sheet, with the book quantities as they stand now (the daily check: today's moved items)."""
    uow.actor.check_store(cmd.store_id)
    if cmd.part_nos:
        stock = await parts_for(uow, cmd.store_id, cmd.part_nos)
    else:
        everything = await uow.repo(Parts).list(store_id=cmd.store_id)
        today = uow.now().date()
        stock = {p.part_no: p for p in everything if cmd.scope is not CountScope.DAILY
                 or any(e.at.astimezone(uow.now().tzinfo).date() == today for e in p.ledger)}
    if not stock:
        raise DomainError("nothing to count", field="part_nos")
    count = StockCount(id=str(uuid.uuid4()), dealer_group_id=uow.actor.dealer_group_id, store_id=cmd.store_id,
                       scope=cmd.scope, started_by=uow.actor.user_id,
                       lines=[CountLine(part_no=no, book=p.on_hand) for no, p in sorted(stock.items())])
    await uow.repo(StockCounts).add(count)
    return count


async def record_count(uow: UnitOfWork, cmd: c.RecordCount) -> StockCount:
    count = await uow.repo(StockCounts).get(cmd.count_id)
    for ln in cmd.lines:
        count.record(ln.part_no, ln.counted, ln.explanation)
    await uow.repo(StockCounts).save(count)
    return count


async def close_count(uow: UnitOfWork, cmd: c.CloseCount) -> StockCount:
    count = await uow.repo(StockCounts).get(cmd.count_id)
    stock = await parts_for(uow, count.store_id, [v.part_no for v in count.variances()])
    variances = count.close(at=uow.now(), finance_witness=cmd.finance_witness,
                            costs={no: p.cost for no, p in stock.items()})
    for v in variances:
        stock[v.part_no].adjust(v.variance, at=uow.now(), reference=f"count:{count.id}", by=uow.actor.user_id)
        await uow.repo(Parts).save(stock[v.part_no])
    await uow.repo(StockCounts).save(count)
    return count


async def propose_write_off(uow: UnitOfWork, cmd: c.ProposeWriteOff) -> WriteOff:
    uow.actor.check_store(cmd.store_id)
    stock = await parts_for(uow, cmd.store_id, [ln.part_no for ln in cmd.lines])
    w = WriteOff.propose(id=str(uuid.uuid4()), dealer_group_id=uow.actor.dealer_group_id, store_id=cmd.store_id,
                         reason=cmd.reason, cause=cmd.cause, description=cmd.description,
                         cannot_claim_return_or_repair=cmd.cannot_claim_return_or_repair, today=uow.now().date(),
                         lines=[WriteOffLine(part_no=ln.part_no, quantity=ln.quantity,
                                             unit_cost=stock[ln.part_no].cost) for ln in cmd.lines])
    await uow.repo(WriteOffs).add(w)
    return w


APPROVER_ROLES = {Role.SERVICE_MANAGER: Approver.SERVICE_MANAGER, Role.WARRANTY_SPECIALIST:
                  Approver.WARRANTY_SUPERVISOR, Role.PARTS_MANAGER: Approver.PARTS_MANAGER}


async def approve_write_off(uow: UnitOfWork, cmd: c.ApproveWriteOff) -> WriteOff:
    """One of the three joint approvals; the third takes the parts off the books at their cost."""
    w = await uow.repo(WriteOffs).get(cmd.write_off_id)
    mine = [a for r, a in APPROVER_ROLES.items() if r in uow.actor.roles and a.value not in w.approvals]
    if not mine:
        raise Forbidden("approved already, or not one of the three approvers of a write-off")
    if w.approve(mine[0], uow.actor.user_id):
        stock = await parts_for(uow, w.store_id, [ln.part_no for ln in w.lines])
        for ln in w.lines:
            stock[ln.part_no].write_off(ln.quantity, at=uow.now(), reference=f"write-off:{w.id}",
                                        by=uow.actor.user_id)
        w.written_off({no: p.cost for no, p in stock.items()}, uow.now())
        for p in stock.values():
            await uow.repo(Parts).save(p)
    await uow.repo(WriteOffs).save(w)
    return w
