"""Purchase plans → purchase orders per supplier; receiving with three checks and the discrepancy note."""

from __future__ import annotations

import uuid
from datetime import timedelta

from shared.errors import DomainError, NotFound
from shared.kit import UnitOfWork

from ..adapters.repository import Demands, Parts, PurchaseOrders, PurchasePlans, Receipts, Suppliers
from ..domain.demand import DemandState
from ..domain.purchasing import (
    OrderLine,
    PlanKind,
    PlanLine,
    PurchaseOrder,
    PurchasePlan,
    Receipt,
    ReceiptLine,
    suggested_quantity,
)
from . import commands as c
from .demand import fill_shortages
from .stock import parts_for


async def _suggested(uow: UnitOfWork, store_id: str) -> list[PlanLine]:
    """From shortages on bookings and orders, and parts below their safety stock."""
    short: dict[str, object] = {}
    for d in await uow.repo(Demands).list(store_id=store_id):
        if d.state is DemandState.SHORT:
            for ln in d.lines:
                short[ln.part_no] = short.get(ln.part_no, 0) + ln.short
    out = []
    for p in await uow.repo(Parts).list(store_id=store_id):
        qty = suggested_quantity(available=p.available, on_order=p.on_order, safety_stock=p.safety_stock,
                                 short=short.get(p.part_no, 0))
        if qty > 0 and p.supplier_id:
            out.append(PlanLine(part_no=p.part_no, quantity=qty, supplier_id=p.supplier_id))
    return out


async def draft_plan(uow: UnitOfWork, cmd: c.DraftPlan) -> PurchasePlan:
    uow.actor.check_store(cmd.store_id)
    if cmd.lines is None:
        lines = await _suggested(uow, cmd.store_id)
    else:
        stock = await parts_for(uow, cmd.store_id, [ln.part_no for ln in cmd.lines])
        lines = []
        for ln in cmd.lines:
            supplier = ln.supplier_id or stock[ln.part_no].supplier_id
            if not supplier:
                raise DomainError(f"name a supplier for {ln.part_no}", field="supplier_id")
            await uow.repo(Suppliers).get(supplier, lock=False)
            lines.append(PlanLine(part_no=ln.part_no, quantity=ln.quantity, supplier_id=supplier))
    if not lines:
        raise DomainError("nothing to order: no shortages and nothing below its safety stock", field="lines")
    plan = PurchasePlan(id=str(uuid.uuid4()), dealer_group_id=uow.actor.dealer_group_id, store_id=cmd.store_id,
                        plan_kind=cmd.kind, lines=lines, drafted_by=uow.actor.user_id)
    await uow.repo(PurchasePlans).add(plan)
    return plan


async def review_plan(uow: UnitOfWork, cmd: c.PlanStep) -> PurchasePlan:
    plan = await uow.repo(PurchasePlans).get(cmd.plan_id)
    plan.review(uow.actor.user_id)
    await uow.repo(PurchasePlans).save(plan)
    return plan


async def approve_plan(uow: UnitOfWork, cmd: c.PlanStep) -> PurchasePlan:
    plan = await uow.repo(PurchasePlans).get(cmd.plan_id)
    plan.approve(uow.actor.user_id)
    await uow.repo(PurchasePlans).save(plan)
    return plan


async def place_orders(uow: UnitOfWork, cmd: c.PlanStep) -> PurchasePlan:
    """One purchase order per supplier, expected after the supplier's lead time (urgent: next day)."""
    plan = await uow.repo(PurchasePlans).get(cmd.plan_id)
    ids = []
    for supplier_id, lines in sorted(plan.by_supplier().items()):
        s = await uow.repo(Suppliers).get(supplier_id, lock=False)
        days = 1 if plan.plan_kind is PlanKind.URGENT else s.lead_time_days
        po = PurchaseOrder(id=str(uuid.uuid4()), dealer_group_id=plan.dealer_group_id, store_id=plan.store_id,
                           plan_id=plan.id, supplier_id=s.id, locality=s.locality.value, payment=s.payment.value,
                           urgent=plan.plan_kind is PlanKind.URGENT,
                           lines=[OrderLine(part_no=ln.part_no, quantity=ln.quantity) for ln in lines],
                           expected_arrival=uow.now().date() + timedelta(days=days))
        await uow.repo(PurchaseOrders).add(po)
        ids.append(po.id)
    stock = await parts_for(uow, plan.store_id, [ln.part_no for ln in plan.lines])
    for ln in plan.lines:
        stock[ln.part_no].ordered(ln.quantity)
    for p in stock.values():
        await uow.repo(Parts).save(p)
    plan.ordered(ids)
    await uow.repo(PurchasePlans).save(plan)
    return plan


async def receive_goods(uow: UnitOfWork, cmd: c.ReceiveGoods) -> Receipt:
    """Checks one and two: the buyer's count against the shipping list, the storekeeper's against the order."""
    uow.actor.check_store(cmd.store_id)
    await uow.repo(Suppliers).get(cmd.supplier_id, lock=False)
    await parts_for(uow, cmd.store_id, [ln.part_no for ln in cmd.lines])
    po = await uow.repo(PurchaseOrders).get(cmd.purchase_order_id, lock=False) if cmd.purchase_order_id else None
    if po is not None and po.supplier_id != cmd.supplier_id:
        raise NotFound("that purchase order is not this supplier's", field="purchase_order_id")
    lines = [ReceiptLine(part_no=ln.part_no, shipped=ln.shipped, received=ln.received, damaged=ln.damaged,
                         wrong=ln.wrong, unit_cost=ln.unit_cost,
                         planned=po.outstanding(ln.part_no) if po else None) for ln in cmd.lines]
    for ln in lines:
        if ln.damaged + ln.wrong > ln.received:
            raise DomainError(f"more {ln.part_no} damaged or wrong than received", field="damaged")
    r = Receipt(id=str(uuid.uuid4()), dealer_group_id=uow.actor.dealer_group_id, store_id=cmd.store_id,
                purchase_order_id=cmd.purchase_order_id, supplier_id=cmd.supplier_id, lines=lines,
                buyer_checked_by=cmd.buyer_id, plan_checked_by=uow.actor.user_id)
    await uow.repo(Receipts).add(r)
    return r


async def shelve_goods(uow: UnitOfWork, cmd: c.ShelveGoods) -> Receipt:
    """Check three at shelving: the good parts land in their bins (stock card entries) the same day."""
    r = await uow.repo(Receipts).get(cmd.receipt_id)
    booked = r.shelve({ln.part_no: ln.shelved for ln in cmd.lines}, by=uow.actor.user_id, at=uow.now(),
                      claim_against=cmd.claim_against, report=cmd.report)
    stock = await parts_for(uow, r.store_id, [ln.part_no for ln in booked])
    for ln in booked:
        stock[ln.part_no].receive(ln.shelved, ln.unit_cost, at=uow.now(), reference=f"receipt:{r.id}",
                                  by=uow.actor.user_id)
    if r.purchase_order_id:
        po = await uow.repo(PurchaseOrders).get(r.purchase_order_id)
        for ln in booked:
            po.received(ln.part_no, ln.shelved)
        await uow.repo(PurchaseOrders).save(po)
    await fill_shortages(uow, r.store_id, stock)  # bookings and orders waiting for these parts take them first
    for p in stock.values():
        await uow.repo(Parts).save(p)
    await uow.repo(Receipts).save(r)
    return r
