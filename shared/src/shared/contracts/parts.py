"""parts.issues and parts.stock: reservations, issues, old parts, stock levels and prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .base import DomainEvent, event
from .common import PartLine

ISSUES = "parts.issues"
STOCK = "parts.stock"


class ShortLine(PartLine):
    """A part line stock cannot cover: how many are short and, when known, when they should arrive."""

    quantity_short: Decimal = Field(gt=0)
    expected_arrival: date | None = None


# Issue events are keyed by the repair order or booking they serve.
@event(ISSUES, "PartsReserved", 1, aggregate="parts_demand", key="reference_id")
class PartsReserved(DomainEvent):
    """Parts were picked onto the reserved shelf for a booking or a repair order.

    reception marks the booking's (预约) parts as reserved.
    """

    reference_id: str
    reference_type: str
    lines: list[PartLine]


@event(ISSUES, "PartsShortage", 1, aggregate="parts_demand", key="reference_id")
class PartsShortage(DomainEvent):
    """Published by parts when a booking or repair order needs parts that stock cannot cover.

    reception shows the short parts and their expected arrival on the booking, so the advisor can ask the
    customer to wait for them or rebook.
    """

    reference_id: str
    reference_type: str
    lines: list[ShortLine]


@event(ISSUES, "PartsIssued", 1, aggregate="parts_demand", key="reference_id")
class PartsIssued(DomainEvent):
    """Parts left the store against a repair order's slip (领料).

    reception counts them against the parts planned on the order; the two must agree before settlement (结算).
    """

    reference_id: str
    issue_id: str
    job_id: str | None = None
    lines: list[PartLine]


@event(ISSUES, "PartsReturned", 1, aggregate="parts_demand", key="reference_id")
class PartsReturned(DomainEvent):
    """Published by parts when issued parts come back to the store, with the reason.

    reception takes them off the parts issued to the order.
    """

    reference_id: str
    issue_id: str
    lines: list[PartLine]
    reason: str


@event(ISSUES, "OldPartRegistered", 1, aggregate="parts_demand", key="reference_id")
class OldPartRegistered(DomainEvent):
    """An old part (旧件) was handed in: kept for the manufacturer or returned to the customer.

    A warranty old part is kept for the manufacturer; claims tags and stores it against the warranty claim.
    """

    reference_id: str
    old_part_id: str
    part_no: str
    disposition: str
    warranty: bool = False


@event(STOCK, "StockLevelChanged", 1, aggregate="part", key="part_no")
class StockLevelChanged(DomainEvent):
    """Published by parts when a part's on-hand, reserved, available or on-order quantity changes.

    reception keeps a copy to check availability when booking and estimating.
    """

    part_no: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    on_order: Decimal = Decimal("0")


@event(STOCK, "PartPriceChanged", 1, aggregate="part", key="part_no")
class PartPriceChanged(DomainEvent):
    """Published by parts when a part's retail price or description changes.

    reception keeps a copy to price bookings, estimates and added work.
    """

    part_no: str
    description: str
    retail_price: Decimal = Field(ge=0)
    currency: str = "CNY"


@event(STOCK, "StockBelowSafetyLevel", 1, aggregate="part", key="part_no")
class StockBelowSafetyLevel(DomainEvent):
    """Published by parts when a part's available stock falls below its safety level.

    The planner uses it to draft a purchase plan; operations and reports watch it.
    """

    part_no: str
    available: Decimal
    safety_level: Decimal


@event(STOCK, "GoodsReceived", 1, aggregate="receipt", key="receipt_id")
class GoodsReceived(DomainEvent):
    """Published by parts when goods from a supplier are received into stock.

    Lists the lines received, against a purchase order where there is one.
    """

    receipt_id: str
    purchase_order_id: str | None = None
    lines: list[PartLine]


@event(STOCK, "DiscrepancyRecorded", 1, aggregate="receipt", key="receipt_id")
class DiscrepancyRecorded(DomainEvent):
    """A discrepancy note (差损单): short, damaged or wrong parts on receipt.

    It is the basis of a claim against the supplier or carrier, or of a written report where no claim is
    possible.
    """

    receipt_id: str
    part_no: str
    kind: str
    quantity: Decimal


@event(STOCK, "StockCountCompleted", 1, aggregate="stock_count", key="count_id")
class StockCountCompleted(DomainEvent):
    """Published by parts when a stock count finishes, with the lines that differ from the books.

    Every variance must be explained; managers and reports review them.
    """

    count_id: str
    scope: str
    lines_counted: int
    variances: list[PartLine] = Field(default_factory=list)


class CountVariance(BaseModel):
    """One counted part that differs from the book: a gain (盘盈, positive) or a loss (盘亏, negative).

    The book is corrected by an adjustment entry of `variance` at the part's moving-average `unit_cost`; `value`
    is `variance × unit_cost` rounded half-up to the fen (negative for a loss).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    part_no: str = Field(min_length=1, max_length=40)
    book: Decimal = Field(ge=0)
    counted: Decimal = Field(ge=0)
    variance: Decimal
    explanation: str = Field(min_length=1)
    unit_cost: Decimal = Field(ge=0)
    value: Decimal

    @model_validator(mode="after")
    def _signed_difference(self) -> CountVariance:
        if self.variance == 0 or self.variance != self.counted - self.book:
            raise ValueError("variance is counted − book and is never zero")
        return self


@event(STOCK, "StockCountCompleted", 2, aggregate="stock_count", key="count_id")
class StockCountCompletedV2(DomainEvent):
    """Published by parts when a stock count closes, version 2: each variance with its sign, explanation and value.

    Version 1 carried the variances as part lines whose quantity must be positive, so a gain (盘盈) and a loss
    (盘亏) looked alike. Here `variance` is counted − book; `net_value` is the sum of the lines' values (what the
    adjustment entries add to, or take from, the stock's value). Managers and finance review them; the quarterly
    full count names its finance witness. Version 1 stays readable.
    """

    count_id: str
    scope: str
    lines_counted: int = Field(ge=0)
    variances: list[CountVariance] = Field(default_factory=list)
    net_value: Decimal = Decimal("0")
    finance_witness: str | None = None


@event(STOCK, "PartsWrittenOff", 1, aggregate="write_off", key="write_off_id")
class PartsWrittenOff(DomainEvent):
    """Parts were written off (报损), confirmed jointly by the managers, with the value lost.

    The service manager, warranty supervisor and parts manager confirm it; reports book the loss.
    """

    write_off_id: str
    lines: list[PartLine]
    value: Decimal


class LossSplit(BaseModel):
    """Who bears a written-off value: 70% the company, 10% each the service manager, parts manager and storekeeper.

    Rounding rule: each personal 10% share is rounded half-up to the fen (0.01 CNY); the company's share is the
    value less the three personal shares, so the four always add up to the value exactly.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    company: Decimal
    service_manager: Decimal = Field(ge=0)
    parts_manager: Decimal = Field(ge=0)
    storekeeper: Decimal = Field(ge=0)

    @property
    def total(self) -> Decimal:
        return self.company + self.service_manager + self.parts_manager + self.storekeeper


@event(STOCK, "PartsWrittenOff", 2, aggregate="write_off", key="write_off_id")
class PartsWrittenOffV2(DomainEvent):
    """Parts were written off (报损), version 2: with why, the quarter it is filed in, who approved and the split.

    The service manager, warranty supervisor and parts manager approve it jointly (`approvals`: role → user id);
    the lines carry the moving-average cost as `unit_price`; `split` is the 70/10/10/10 loss split (rounding
    rule in LossSplit), adding up to `value` to the fen. Reports book the company's share, payroll deducts the
    personal ones. Version 1 stays readable.
    """

    write_off_id: str
    quarter: str
    reason: str
    cause: str
    lines: list[PartLine]
    value: Decimal = Field(ge=0)
    split: LossSplit
    approvals: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _split_adds_up(self) -> PartsWrittenOffV2:
        if self.split.total != self.value:
            raise ValueError(f"the split adds up to {self.split.total}, not the value {self.value}")
        return self
