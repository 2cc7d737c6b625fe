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


@event(STOCK, "PartsWrittenOff", 1, aggregate="write_off", key="write_off_id")
class PartsWrittenOff(DomainEvent):
    """Parts were written off (报损), confirmed jointly by the managers, with the value lost.

    The service manager, warranty supervisor and parts manager confirm it; reports book the loss.
    """

    write_off_id: str
    lines: list[PartLine]
    value: Decimal
