"""parts's HTTP API: requests become commands, results become views; nothing else."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from shared.kit import AuditEntry, AuditReader, Page, history
from shared.kit.figures import FiguresAnswer, Granularity
from shared.openapi import links_to

from ..adapters.orm import RepairOrderCopyRow
from ..adapters.repository import (
    IssueSlips,
    Parts,
    PurchaseOrders,
    PurchasePlans,
    Receipts,
    RepairOrderCopies,
    StockCounts,
    WriteOffs,
)
from ..domain.issuing import SlipState
from ..service_layer import commands as c
from ..service_layer import counts, figures, issuing, purchasing, stock
from . import views as v
from .deps import (
    FiguresReader,
    PartsManager,
    PartsRoom,
    Reader,
    Requester,
    ServiceManager,
    Signer,
    WriteOffApprover,
)

router = APIRouter(tags=["parts"])
StoreId = Annotated[str, Query(min_length=1, max_length=64)]


# -- catalogue and stock cards --------------------------------------------------------------------
@router.post("/bins", status_code=201, response_model=v.BinPublic)
async def create_bin(body: c.CreateBin, run: PartsRoom):
    """A bin at its four-part location (四号定位: store-room, rack, shelf, position)."""
    return await run(stock.create_bin, body, view=v.bin_, status=201)


@router.post("/suppliers", status_code=201, response_model=v.SupplierPublic)
async def create_supplier(body: c.CreateSupplier, run: PartsManager):
    return await run(stock.create_supplier, body, view=v.same(v.SupplierPublic), status=201)


@router.post("/parts", status_code=201, response_model=v.PartPublic,
             openapi_extra=links_to("/parts/{part_id}"))
async def create_part(body: c.CreatePart, run: PartsManager):
    """A part in its bin, with its opening stock. Publishes PartPriceChanged and StockLevelChanged."""
    return await run(stock.create_part, body, view=v.part, status=201)


@router.patch("/parts/{part_id}", response_model=v.PartPublic)
async def update_part(part_id: str, body: c.UpdatePart, run: PartsManager):
    """Price, name, safety stock or bin; a new price publishes PartPriceChanged."""
    return await run(stock.update_part, body.bind(part_id=part_id), view=v.part)


@router.get("/parts", response_model=list[v.PartPublic])
async def list_parts(store_id: StoreId, uow: Reader, page: Page, below_safety_stock: bool = False):
    found = await uow.repo(Parts).list(store_id=store_id, page=page,
                                       keep=(lambda p: p.available < p.safety_stock) if below_safety_stock else None)
    return [v.part(uow, p) for p in found]


@router.get("/parts/slow-movers", response_model=list[v.PartPublic])
async def slow_movers(store_id: StoreId, uow: Reader, page: Page,
                      days: Annotated[int, Query(ge=1, le=3650)] = 90):
    """Parts with stock and no movement for `days` days (滞库件): candidates to cut."""
    since = uow.now() - timedelta(days=days)
    found = await uow.repo(Parts).list(store_id=store_id, page=page,
                                       keep=lambda p: p.on_hand > 0 and (p.last_movement_at() or since) <= since)
    return [v.part(uow, p) for p in found]


@router.get("/figures", response_model=FiguresAnswer)
async def store_figures(uow: FiguresReader, date_from: date, date_to: date, granularity: Granularity = Granularity.DAY,
                        store_id: Annotated[str | None, Query(max_length=64)] = None):
    """The parts room's KPIs per store and day, week or month (store-local dates): parts_fill_rate,
    parts_cost_issued, stock_turnover (turns a year), parts_revenue; docs/kpis.md "## parts" defines them.
    Without `store_id`: the caller's stores (a group role: every store with parts records)."""
    return await figures.figures(uow, date_from, date_to, granularity, store_id)


@router.get("/parts/{part_id}", response_model=v.StockCardPublic)
async def get_part(part_id: str, uow: Reader):
    """The part and its stock card: every movement, with the running balance."""
    return v.stock_card(uow, await uow.repo(Parts).get(part_id, lock=False))


@router.get("/parts/{part_id}/history", response_model=list[AuditEntry])
async def part_history(part_id: str, uow: AuditReader):
    return await history(uow, Parts, part_id)


# -- issuing ----------------------------------------------------------------------------------------
@router.post("/issue-slips", status_code=201, response_model=v.SlipPublic,
             openapi_extra=links_to("/issue-slips/{slip_id}"))
async def request_parts(body: c.RequestParts, run: Requester):
    """A requisition slip (领料单) for a job of an open repair order, signed by the technician."""
    return await run(issuing.request_parts, body, view=v.same(v.SlipPublic), status=201)


@router.post("/issue-slips/{slip_id}/sign", response_model=v.SlipPublic)
async def sign_slip(slip_id: str, body: c.SignSlip, run: Signer):
    """The advisor countersigns; for a warranty job the warranty specialist signs off."""
    return await run(issuing.sign_slip, body.bind(slip_id=slip_id), view=v.same(v.SlipPublic))


@router.post("/issue-slips/{slip_id}/issue", response_model=v.SlipPublic)
async def issue_parts(slip_id: str, body: c.IssueParts, run: PartsRoom):
    """Old parts in, new parts out (交旧领新). Publishes PartsIssued and OldPartRegistered."""
    return await run(issuing.issue_parts, body.bind(slip_id=slip_id), view=v.same(v.SlipPublic))


@router.post("/issue-slips/{slip_id}/returns", response_model=v.SlipPublic)
async def return_parts(slip_id: str, body: c.ReturnParts, run: PartsRoom):
    """Issued parts come back: to stock, or (quality) to the quality ledger. Publishes PartsReturned."""
    return await run(issuing.return_parts, body.bind(slip_id=slip_id), view=v.same(v.SlipPublic))


@router.get("/issue-slips", response_model=list[v.SlipAtCounter])
async def list_slips(store_id: StoreId, uow: Reader, page: Page, state: SlipState = SlipState.REQUESTED):
    """A store's slips in one state; by default those still waiting at the counter (the open issue requests
    of the parts board), oldest request first within a page, each with its repair order's number and its job's
    description."""
    t = IssueSlips.table
    found = await uow.repo(IssueSlips).list(t.c.state == state.value, store_id=store_id, page=page)
    ids = sorted({s.repair_order_id for s in found})  # the store's own orders only (Repository.list's scope)
    orders = {o.id: o for o in await uow.repo(RepairOrderCopies).list(RepairOrderCopyRow.id.in_(ids),
                                                                       store_id=store_id)}
    return [v.SlipAtCounter.of(s, orders.get(s.repair_order_id))
            for s in sorted(found, key=lambda s: s.requested_at or uow.now())]


@router.get("/issue-slips/{slip_id}", response_model=v.SlipPublic)
async def get_slip(slip_id: str, uow: Reader):
    return v.SlipPublic(**(await uow.repo(IssueSlips).get(slip_id, lock=False)).model_dump())


@router.get("/repair-orders/{repair_order_id}/reconciliation", response_model=v.ReconciliationPublic)
async def reconciliation(repair_order_id: str, uow: Reader):
    """Planned vs issued vs returned for the order, per part."""
    return v.reconciliation(await uow.repo(RepairOrderCopies).get(repair_order_id, lock=False))


@router.get("/reconciliations", response_model=list[v.ReconciliationPublic])
async def reconciliations(uow: Reader, page: Page,
                          repair_order_id: Annotated[list[str], Query(min_length=1, max_length=200)]):
    """Planned vs issued vs returned for each order named (`repair_order_id` repeated, up to 200); an order the
    parts room knows nothing of, or of a store outside the caller's, is left out."""
    found = await uow.repo(RepairOrderCopies).list(RepairOrderCopyRow.id.in_(repair_order_id), page=page)
    return [v.reconciliation(ro) for ro in found]


# -- counts and write-offs -----------------------------------------------------------------------------
@router.post("/counts", status_code=201, response_model=v.CountPublic,
             openapi_extra=links_to("/counts/{count_id}"))
async def start_count(body: c.StartCount, run: PartsRoom):
    """A count sheet (盘点): daily (today's moved items), monthly, or quarterly with finance."""
    return await run(counts.start_count, body, view=v.same(v.CountPublic), status=201)


@router.post("/counts/{count_id}/lines", response_model=v.CountPublic)
async def record_count(count_id: str, body: c.RecordCount, run: PartsRoom):
    return await run(counts.record_count, body.bind(count_id=count_id), view=v.same(v.CountPublic))


@router.post("/counts/{count_id}/close", response_model=v.CountPublic)
async def close_count(count_id: str, body: c.CloseCount, run: PartsRoom):
    """Every variance explained → adjustment entries on the stock cards; publishes StockCountCompleted."""
    return await run(counts.close_count, body.bind(count_id=count_id), view=v.same(v.CountPublic))


@router.get("/counts/{count_id}", response_model=v.CountPublic)
async def get_count(count_id: str, uow: Reader):
    return v.CountPublic(**(await uow.repo(StockCounts).get(count_id, lock=False)).model_dump())


@router.post("/write-offs", status_code=201, response_model=v.WriteOffPublic,
             openapi_extra=links_to("/write-offs/{write_off_id}"))
async def propose_write_off(body: c.ProposeWriteOff, run: PartsRoom):
    """Propose a write-off (报损); damage caused by a person is refused (that person is charged)."""
    return await run(counts.propose_write_off, body, view=v.same(v.WriteOffPublic), status=201)


@router.post("/write-offs/{write_off_id}/approve", response_model=v.WriteOffPublic)
async def approve_write_off(write_off_id: str, body: c.ApproveWriteOff, run: WriteOffApprover):
    """The service manager, warranty supervisor and parts manager each approve; the third approval writes
    the parts off and splits the loss 70/10/10/10. Publishes PartsWrittenOff."""
    return await run(counts.approve_write_off, body.bind(write_off_id=write_off_id),
                     view=v.same(v.WriteOffPublic))


@router.get("/write-offs/{write_off_id}", response_model=v.WriteOffPublic)
async def get_write_off(write_off_id: str, uow: Reader):
    return v.WriteOffPublic(**(await uow.repo(WriteOffs).get(write_off_id, lock=False)).model_dump())


# -- planning, purchasing, receiving -------------------------------------------------------------------
@router.post("/purchase-plans", status_code=201, response_model=v.PlanPublic,
             openapi_extra=links_to("/purchase-plans/{plan_id}"))
async def draft_plan(body: c.DraftPlan, run: PartsRoom):
    """The planner's plan; without lines, drafted from shortages and safety stock."""
    return await run(purchasing.draft_plan, body, view=v.same(v.PlanPublic), status=201)


@router.post("/purchase-plans/{plan_id}/review", response_model=v.PlanPublic)
async def review_plan(plan_id: str, body: c.PlanStep, run: PartsManager):
    return await run(purchasing.review_plan, body.bind(plan_id=plan_id), view=v.same(v.PlanPublic))


@router.post("/purchase-plans/{plan_id}/approve", response_model=v.PlanPublic)
async def approve_plan(plan_id: str, body: c.PlanStep, run: ServiceManager):
    return await run(purchasing.approve_plan, body.bind(plan_id=plan_id), view=v.same(v.PlanPublic))


@router.post("/purchase-plans/{plan_id}/orders", response_model=v.PlanPublic)
async def place_orders(plan_id: str, body: c.PlanStep, run: PartsRoom):
    """One purchase order per supplier."""
    return await run(purchasing.place_orders, body.bind(plan_id=plan_id), view=v.same(v.PlanPublic))


@router.get("/purchase-plans/{plan_id}", response_model=v.PlanPublic)
async def get_plan(plan_id: str, uow: Reader):
    return v.PlanPublic(**(await uow.repo(PurchasePlans).get(plan_id, lock=False)).model_dump())


@router.get("/purchase-orders/{order_id}", response_model=v.OrderPublic)
async def get_order(order_id: str, uow: Reader):
    return v.OrderPublic(**(await uow.repo(PurchaseOrders).get(order_id, lock=False)).model_dump())


@router.post("/receipts", status_code=201, response_model=v.ReceiptPublic,
             openapi_extra=links_to("/receipts/{receipt_id}"))
async def receive_goods(body: c.ReceiveGoods, run: PartsRoom):
    """Checks one and two: the buyer against the shipping list, the storekeeper against the order."""
    return await run(purchasing.receive_goods, body, view=v.same(v.ReceiptPublic), status=201)


@router.post("/receipts/{receipt_id}/shelve", response_model=v.ReceiptPublic)
async def shelve_goods(receipt_id: str, body: c.ShelveGoods, run: PartsRoom):
    """Check three at shelving; publishes GoodsReceived and a DiscrepancyRecorded per short, damaged or
    wrong line (差损单)."""
    return await run(purchasing.shelve_goods, body.bind(receipt_id=receipt_id), view=v.same(v.ReceiptPublic))


@router.get("/receipts/{receipt_id}", response_model=v.ReceiptPublic)
async def get_receipt(receipt_id: str, uow: Reader):
    return v.ReceiptPublic(**(await uow.repo(Receipts).get(receipt_id, lock=False)).model_dump())
