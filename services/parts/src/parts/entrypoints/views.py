"""What parts's routes answer: response models and `(uow, aggregate) -> model` views."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from ..domain.counts import StockCount
from ..domain.issuing import IssueSlip, RepairOrderCopy
from ..domain.purchasing import PurchaseOrder, PurchasePlan, Receipt
from ..domain.stock import Bin, LedgerEntry, Part, Supplier
from ..domain.write_offs import WriteOff


class PartPublic(BaseModel):
    id: str
    store_id: str
    version: int
    part_no: str
    name: str
    brand: str
    oem_no: str
    unit: str
    retail_price: Decimal
    cost: Decimal
    safety_stock: Decimal
    supplier_id: str | None
    bin_code: str
    exchange_required: bool
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    on_order: Decimal
    quality_held: Decimal
    below_safety_stock: bool


class StockCardPublic(PartPublic):
    ledger: list[LedgerEntry]
    quality_ledger: list[LedgerEntry]


def part(uow, p: Part) -> PartPublic:
    return PartPublic(**p.model_dump(exclude={"ledger", "quality_ledger", "reservations"}), on_hand=p.on_hand,
                      reserved=p.reserved, available=p.available, quality_held=p.quality_held,
                      below_safety_stock=p.available < p.safety_stock)


def stock_card(uow, p: Part) -> StockCardPublic:
    return StockCardPublic(**part(uow, p).model_dump(), ledger=p.ledger, quality_ledger=p.quality_ledger)


class BinPublic(Bin):
    code: str


def bin_(uow, b: Bin) -> BinPublic:
    return BinPublic(**b.model_dump(), code=b.location.code)


class SupplierPublic(Supplier):
    pass


class SlipPublic(IssueSlip):
    pass


class SlipAtCounter(IssueSlip):
    """A slip as the parts counter lists it: with the repair order's number and the job's description, as the
    parts room knows them from reception (None until reception's order has reached it)."""

    repair_order_number: str | None = None
    job_description: str | None = None

    @classmethod
    def of(cls, slip: IssueSlip, order: RepairOrderCopy | None) -> SlipAtCounter:
        job = next((j for j in order.jobs if j.job_id == slip.job_id), None) if order else None
        return cls(**slip.model_dump(), repair_order_number=order.number or None if order else None,
                   job_description=job.description if job else None)


class CountPublic(StockCount):
    pass


class WriteOffPublic(WriteOff):
    pass


class PlanPublic(PurchasePlan):
    pass


class OrderPublic(PurchaseOrder):
    pass


class ReceiptPublic(Receipt):
    pass


class ReconciliationLine(BaseModel):
    part_no: str
    planned: Decimal
    issued: Decimal
    returned: Decimal
    net_issued: Decimal
    agrees: bool


class ReconciliationPublic(BaseModel):
    """At repair-order close: planned vs issued vs returned, per part."""

    repair_order_id: str
    open: bool
    lines: list[ReconciliationLine]
    agrees: bool


def reconciliation(ro: RepairOrderCopy) -> ReconciliationPublic:
    lines = ro.reconciliation()
    return ReconciliationPublic(repair_order_id=ro.id, open=ro.open, lines=lines,
                                agrees=all(ln["agrees"] for ln in lines))


def same(model: type[BaseModel]):
    def view(uow, agg) -> BaseModel:
        return model(**agg.model_dump())
    return view
