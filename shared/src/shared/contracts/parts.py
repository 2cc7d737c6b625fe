"""parts.issues and parts.stock: reservations, issues, old parts, stock levels and prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from .base import DomainEvent, event
from .common import PartLine

ISSUES = "parts.issues"
STOCK = "parts.stock"


class ShortLine(PartLine):
    quantity_short: Decimal = Field(gt=0)
    expected_arrival: date | None = None


# Issue events are keyed by the repair order or booking they serve.
@event(ISSUES, "PartsReserved", 1, aggregate="parts_demand", key="reference_id")
class PartsReserved(DomainEvent):
    """Parts were picked onto the reserved shelf for a booking or a repair order."""

    reference_id: str
    reference_type: str
    lines: list[PartLine]


@event(ISSUES, "PartsShortage", 1, aggregate="parts_demand", key="reference_id")
class PartsShortage(DomainEvent):
    reference_id: str
    reference_type: str
    lines: list[ShortLine]


@event(ISSUES, "PartsIssued", 1, aggregate="parts_demand", key="reference_id")
class PartsIssued(DomainEvent):
    """Parts left the store against a repair order's slip (领料)."""

    reference_id: str
    issue_id: str
    job_id: str | None = None
    lines: list[PartLine]


@event(ISSUES, "PartsReturned", 1, aggregate="parts_demand", key="reference_id")
class PartsReturned(DomainEvent):
    reference_id: str
    issue_id: str
    lines: list[PartLine]
    reason: str


@event(ISSUES, "OldPartRegistered", 1, aggregate="parts_demand", key="reference_id")
class OldPartRegistered(DomainEvent):
    """An old part (旧件) was handed in: kept for the manufacturer or returned to the customer."""

    reference_id: str
    old_part_id: str
    part_no: str
    disposition: str
    warranty: bool = False


@event(STOCK, "StockLevelChanged", 1, aggregate="part", key="part_no")
class StockLevelChanged(DomainEvent):
    part_no: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    on_order: Decimal = Decimal("0")


@event(STOCK, "PartPriceChanged", 1, aggregate="part", key="part_no")
class PartPriceChanged(DomainEvent):
    part_no: str
    description: str
    retail_price: Decimal = Field(ge=0)
    currency: str = "CNY"


@event(STOCK, "StockBelowSafetyLevel", 1, aggregate="part", key="part_no")
class StockBelowSafetyLevel(DomainEvent):
    part_no: str
    available: Decimal
    safety_level: Decimal


@event(STOCK, "GoodsReceived", 1, aggregate="receipt", key="receipt_id")
class GoodsReceived(DomainEvent):
    receipt_id: str
    purchase_order_id: str | None = None
    lines: list[PartLine]


@event(STOCK, "DiscrepancyRecorded", 1, aggregate="receipt", key="receipt_id")
class DiscrepancyRecorded(DomainEvent):
    """A discrepancy note (差损单): short, damaged or wrong parts on receipt."""

    receipt_id: str
    part_no: str
    kind: str
    quantity: Decimal


@event(STOCK, "StockCountCompleted", 1, aggregate="stock_count", key="count_id")
class StockCountCompleted(DomainEvent):
    count_id: str
    scope: str
    lines_counted: int
    variances: list[PartLine] = Field(default_factory=list)


@event(STOCK, "PartsWrittenOff", 1, aggregate="write_off", key="write_off_id")
class PartsWrittenOff(DomainEvent):
    """A write-off (报损) confirmed jointly by the managers."""

    write_off_id: str
    lines: list[PartLine]
    value: Decimal
