"""Planning, purchasing and receiving.

A purchase plan (scheduled or urgent, 计划) is drafted by the planner from shortages and safety stock,
reviewed by the parts manager and approved by the service manager; it then becomes one purchase order per
supplier. Goods are received with three checks (三次验货): the buyer against the shipping list, the
storekeeper against the plan, the storekeeper again at shelving. Short, damaged or wrong items produce a
discrepancy note (差损单): a claim against the supplier or the carrier, or a written report.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field
from shared.contracts import parts as ev
from shared.contracts.common import PartLine
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .money import ZERO

REORDER_UP_TO = Decimal(2)  # a part below its safety stock is ordered up to twice the safety stock


def suggested_quantity(*, available: Decimal, on_order: Decimal, safety_stock: Decimal, short: Decimal) -> Decimal:
    """What the planner orders for a part: its shortages, plus up to twice its safety stock when below it."""
    top_up = REORDER_UP_TO * safety_stock - available - on_order if available + on_order < safety_stock else ZERO
    return max(top_up, ZERO) + short


class PlanKind(StrEnum):
    SCHEDULED = "scheduled"
    URGENT = "urgent"


class PlanState(StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    ORDERED = "ordered"


class PlanLine(BaseModel):
    part_no: str
    quantity: Decimal = Field(gt=0)
    supplier_id: str


class PurchasePlan(Aggregate):
    kind: ClassVar[str] = "purchase_plan"
    TRANSITIONS: ClassVar[dict[str, set]] = {
        "review": {PlanState.DRAFT}, "approve": {PlanState.REVIEWED}, "order": {PlanState.APPROVED}}

    plan_kind: PlanKind
    lines: list[PlanLine]
    state: PlanState = PlanState.DRAFT
    drafted_by: str
    reviewed_by: str | None = None
    approved_by: str | None = None
    order_ids: list[str] = Field(default_factory=list)

    def review(self, user_id: str) -> None:
        self.require("review")
        self.state, self.reviewed_by = PlanState.REVIEWED, user_id
        self.changed()

    def approve(self, user_id: str) -> None:
        self.require("approve")
        self.state, self.approved_by = PlanState.APPROVED, user_id
        self.changed()

    def by_supplier(self) -> dict[str, list[PlanLine]]:
        self.require("order")
        out: dict[str, list[PlanLine]] = {}
        for ln in self.lines:
            out.setdefault(ln.supplier_id, []).append(ln)
        return out

    def ordered(self, order_ids: list[str]) -> None:
        self.state, self.order_ids = PlanState.ORDERED, order_ids
        self.changed()


class OrderState(StrEnum):
    PLACED = "placed"
    RECEIVED = "received"


class OrderLine(BaseModel):
    part_no: str
    quantity: Decimal
    received: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return max(self.quantity - self.received, ZERO)


class PurchaseOrder(Aggregate):
    kind: ClassVar[str] = "purchase_order"
    plan_id: str | None
    supplier_id: str
    locality: str
    payment: str
    urgent: bool
    lines: list[OrderLine]
    expected_arrival: date
    state: OrderState = OrderState.PLACED

    def outstanding(self, part_no: str) -> Decimal:
        return sum((ln.outstanding for ln in self.lines if ln.part_no == part_no), ZERO)

    def received(self, part_no: str, quantity: Decimal) -> None:
        for ln in self.lines:
            if ln.part_no == part_no and quantity > 0:
                take = min(ln.outstanding, quantity)
                ln.received += take
                quantity -= take
        if all(ln.outstanding == 0 for ln in self.lines):
            self.state = OrderState.RECEIVED
        self.changed()


class Discrepancy(StrEnum):
    SHORT = "short"
    DAMAGED = "damaged"
    WRONG = "wrong"


class ClaimAgainst(StrEnum):
    SUPPLIER = "supplier"
    CARRIER = "carrier"
    NONE = "none"  # no claim possible: a written report goes to the service manager


class ReceiptLine(BaseModel):
    part_no: str
    shipped: Decimal = Field(ge=0, description="On the shipping list")
    received: Decimal = Field(ge=0, description="Counted by the buyer (first check)")
    damaged: Decimal = Field(default=ZERO, ge=0)
    wrong: Decimal = Field(default=ZERO, ge=0)
    planned: Decimal | None = Field(default=None, description="Outstanding on the order (second check)")
    shelved: Decimal | None = Field(default=None, description="Counted at shelving (third check)")
    unit_cost: Decimal = Field(ge=0)

    def discrepancies(self) -> dict[Discrepancy, Decimal]:
        expected = max(self.shipped, self.planned or ZERO)
        good = self.shelved if self.shelved is not None else self.received - self.damaged - self.wrong
        found = {Discrepancy.SHORT: expected - good - self.damaged - self.wrong,
                 Discrepancy.DAMAGED: self.damaged, Discrepancy.WRONG: self.wrong}
        return {k: v for k, v in found.items() if v > 0}


class ReceiptState(StrEnum):
    CHECKED = "checked"
    SHELVED = "shelved"


class DiscrepancyNote(BaseModel):
    """差损单: what was short, damaged or wrong, and how it is pursued."""

    part_no: str
    kind: Discrepancy
    quantity: Decimal
    claim_against: ClaimAgainst
    report: str | None = None


class Receipt(Aggregate):
    kind: ClassVar[str] = "receipt"
    TRANSITIONS: ClassVar[dict[str, set]] = {"shelve": {ReceiptState.CHECKED}}

    purchase_order_id: str | None
    supplier_id: str
    lines: list[ReceiptLine]
    buyer_checked_by: str
    plan_checked_by: str
    shelved_by: str | None = None
    shelved_at: datetime | None = None
    state: ReceiptState = ReceiptState.CHECKED
    notes: list[DiscrepancyNote] = Field(default_factory=list)

    def shelve(self, counted: dict[str, Decimal], *, by: str, at: datetime, claim_against: ClaimAgainst,
               report: str | None) -> list[ReceiptLine]:
        """The third check: shelved counts; every discrepancy goes on the note. Answers the lines to book."""
        self.require("shelve")
        for ln in self.lines:
            if ln.part_no not in counted:
                raise DomainError(f"count {ln.part_no} at shelving", field="lines", part_no=ln.part_no)
            if counted[ln.part_no] > ln.received - ln.damaged - ln.wrong:
                raise DomainError(f"more {ln.part_no} shelved than were received in good order", field="shelved")
            ln.shelved = counted[ln.part_no]
        self._note(claim_against, report)
        self.state, self.shelved_by, self.shelved_at = ReceiptState.SHELVED, by, at
        self.changed()
        booked = [ln for ln in self.lines if ln.shelved]
        self.raise_event(ev.GoodsReceived(receipt_id=self.id, purchase_order_id=self.purchase_order_id, lines=[
            PartLine(part_no=ln.part_no, quantity=ln.shelved, unit_price=ln.unit_cost) for ln in booked]))
        return booked

    def _note(self, claim_against: ClaimAgainst, report: str | None) -> None:
        self.notes = [DiscrepancyNote(part_no=ln.part_no, kind=kind, quantity=q, claim_against=claim_against,
                                      report=report)
                      for ln in self.lines for kind, q in ln.discrepancies().items()]
        if self.notes and claim_against is ClaimAgainst.NONE and not (report or "").strip():
            raise Conflict("no claim possible: write the report for the service manager", field="report")
        for n in self.notes:
            self.raise_event(ev.DiscrepancyRecorded(receipt_id=self.id, part_no=n.part_no, kind=n.kind.value,
                                                    quantity=n.quantity))
