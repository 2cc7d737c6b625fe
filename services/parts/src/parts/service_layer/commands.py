"""Commands parts accepts: the request bodies of its command routes (shared.kit.CommandBody).

Ids named by the path are fields typed `SkipJsonSchema[str] = ""`, set by the route with `body.bind(...)`.
Quantities must be positive and money is Decimal (never float).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from shared.kit import CommandBody

from ..domain.counts import CountScope
from ..domain.issuing import OldPartDisposition
from ..domain.purchasing import ClaimAgainst, PlanKind
from ..domain.stock import Payment, SupplierKind
from ..domain.write_offs import Cause, Reason

PartNo = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
Quantity = Field(gt=0, le=100000, max_digits=12, decimal_places=3)
Money = Field(ge=0, le=10_000_000, max_digits=14, decimal_places=4)
Part4 = Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9]+$")


class CreateBin(CommandBody):
    """A bin at its four-part location (四号定位)."""

    store_id: str = Field(min_length=1, max_length=64)
    store_room: str = Part4
    rack: str = Part4
    shelf: str = Part4
    position: str = Part4


class CreateSupplier(CommandBody):
    name: str = Field(min_length=1, max_length=200)
    locality: SupplierKind
    payment: Payment
    lead_time_days: int = Field(default=2, ge=0, le=365)


class CreatePart(CommandBody):
    store_id: str = Field(min_length=1, max_length=64)
    part_no: str = PartNo
    name: str = Field(min_length=1, max_length=200)
    brand: str = Field(default="", max_length=100)
    oem_no: str = Field(default="", max_length=40)
    unit: str = Field(default="pc", min_length=1, max_length=10)
    retail_price: Decimal = Money
    safety_stock: Decimal = Field(default=Decimal(0), ge=0, le=100000)
    supplier_id: str | None = Field(default=None, max_length=64)
    bin_code: str = Field(min_length=7, max_length=50, description="store-room-rack-shelf-position")
    exchange_required: bool = Field(default=True, description="Old part handed in before a new one is issued")
    opening_quantity: Decimal = Field(default=Decimal(0), ge=0, le=100000)
    opening_cost: Decimal = Field(default=Decimal(0), ge=0, le=10_000_000, max_digits=14, decimal_places=4)


class UpdatePart(CommandBody):
    part_id: SkipJsonSchema[str] = ""
    version: int
    retail_price: Decimal | None = Field(default=None, ge=0, le=10_000_000, max_digits=14, decimal_places=2)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    safety_stock: Decimal | None = Field(default=None, ge=0, le=100000)
    bin_code: str | None = Field(default=None, min_length=7, max_length=50)


class SlipLineRequest(CommandBody):
    part_no: str = PartNo
    quantity: Decimal = Quantity


class RequestParts(CommandBody):
    """A requisition slip (领料单) for one job of an open repair order, signed by the technician."""

    store_id: str = Field(min_length=1, max_length=64)
    repair_order_id: str = Field(min_length=1, max_length=64)
    job_id: str = Field(min_length=1, max_length=64)
    technician_id: str | None = Field(default=None, max_length=64, description="Who takes the parts (when a "
                                      "storekeeper writes the slip for them)")
    lines: list[SlipLineRequest] = Field(min_length=1, max_length=50)


class SignSlip(CommandBody):
    slip_id: SkipJsonSchema[str] = ""


class OldPartHandIn(CommandBody):
    part_no: str = PartNo
    disposition: OldPartDisposition = OldPartDisposition.SCRAP


class IssueParts(CommandBody):
    """The storekeeper issues the slip's parts, taking the old parts in first (交旧领新)."""

    slip_id: SkipJsonSchema[str] = ""
    old_parts: list[OldPartHandIn] = Field(default_factory=list, max_length=50)


class ReturnParts(CommandBody):
    slip_id: SkipJsonSchema[str] = ""
    lines: list[SlipLineRequest] = Field(min_length=1, max_length=50)
    reason: str = Field(min_length=1, max_length=500)
    quality: bool = Field(default=False, description="A quality return: held on its own ledger, not restocked")


class StartCount(CommandBody):
    store_id: str = Field(min_length=1, max_length=64)
    scope: CountScope
    part_nos: list[str] | None = Field(default=None, max_length=5000,
                                       description="Default: the parts moved today (daily) or every part")


class CountedLine(CommandBody):
    part_no: str = PartNo
    counted: Decimal = Field(ge=0, le=100000)
    explanation: str | None = Field(default=None, max_length=500)


class RecordCount(CommandBody):
    count_id: SkipJsonSchema[str] = ""
    lines: list[CountedLine] = Field(min_length=1, max_length=5000)


class CloseCount(CommandBody):
    count_id: SkipJsonSchema[str] = ""
    finance_witness: str | None = Field(default=None, max_length=100)


class WriteOffLineRequest(CommandBody):
    part_no: str = PartNo
    quantity: Decimal = Quantity


class ProposeWriteOff(CommandBody):
    """Write-off (报损) of parts that cannot be claimed, returned or repaired."""

    store_id: str = Field(min_length=1, max_length=64)
    reason: Reason
    cause: Cause
    description: str = Field(min_length=1, max_length=1000)
    cannot_claim_return_or_repair: bool
    lines: list[WriteOffLineRequest] = Field(min_length=1, max_length=200)


class ApproveWriteOff(CommandBody):
    write_off_id: SkipJsonSchema[str] = ""


class PlanLineRequest(CommandBody):
    part_no: str = PartNo
    quantity: Decimal = Quantity
    supplier_id: str | None = Field(default=None, max_length=64, description="Default: the part's supplier")


class DraftPlan(CommandBody):
    """A purchase plan; without lines it is drafted from shortages and safety stock."""

    store_id: str = Field(min_length=1, max_length=64)
    kind: PlanKind = PlanKind.SCHEDULED
    lines: list[PlanLineRequest] | None = Field(default=None, max_length=500)


class PlanStep(CommandBody):
    plan_id: SkipJsonSchema[str] = ""


class ReceiptLineRequest(CommandBody):
    part_no: str = PartNo
    shipped: Decimal = Field(ge=0, le=100000, description="On the shipping list")
    received: Decimal = Field(ge=0, le=100000, description="The buyer's count against the shipping list")
    damaged: Decimal = Field(default=Decimal(0), ge=0, le=100000)
    wrong: Decimal = Field(default=Decimal(0), ge=0, le=100000)
    unit_cost: Decimal = Money


class ReceiveGoods(CommandBody):
    """First and second checks: the buyer against the shipping list, the storekeeper against the order."""

    store_id: str = Field(min_length=1, max_length=64)
    supplier_id: str = Field(min_length=1, max_length=64)
    purchase_order_id: str | None = Field(default=None, max_length=64)
    buyer_id: str = Field(min_length=1, max_length=64)
    lines: list[ReceiptLineRequest] = Field(min_length=1, max_length=500)


class ShelvedLine(CommandBody):
    part_no: str = PartNo
    shelved: Decimal = Field(ge=0, le=100000)


class ShelveGoods(CommandBody):
    """The third check at shelving; the goods land in their bins the same day."""

    receipt_id: SkipJsonSchema[str] = ""
    lines: list[ShelvedLine] = Field(min_length=1, max_length=500)
    claim_against: ClaimAgainst = ClaimAgainst.SUPPLIER
    report: str | None = Field(default=None, max_length=2000)


