"""Estimates (报价) and the settlement sheet (结算单): labour, parts and materials by pay type.

Labour is flat-rate hours × the store's labour rate; parts are quantity × retail price; materials
(辅料) are priced as a sum. Every line is rounded to the fen once; totals add rounded lines, so the
sheet always adds up. Prices are net of VAT: the customer's invoice adds VAT on the customer's share;
warranty, insurance and internal lines go to those payers net, on their own invoices.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from shared.contracts.common import PartLine, PayType, RepairJob
from shared.contracts.workshop import InspectionStage
from shared.errors import DomainError

from .money import ZERO, money, total


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class PartItem(Model):
    part_no: str = Field(min_length=1, max_length=40)
    description: str | None = None
    quantity: Decimal = Field(gt=0)
    unit_price: Decimal | None = Field(default=None, ge=0)

    @property
    def priced(self) -> bool:
        return self.unit_price is not None

    @property
    def amount(self) -> Decimal:
        return money(self.quantity * self.unit_price) if self.unit_price is not None else ZERO


class Signature(Model):
    """A customer's signature: who signed, when, and the image of it (an attachment reference)."""

    name: str = Field(min_length=1, max_length=100)
    image_ref: str = Field(min_length=1, max_length=500)
    signed_at: datetime


def labour_amount(hours: Decimal, rate: Decimal) -> Decimal:
    """Flat-rate hours (工时) × labour rate."""
    if hours < 0:
        raise DomainError(f"labour hours must not be negative (got {hours})", field="flat_rate_hours")
    if rate < 0:
        raise DomainError(f"labour rate must not be negative (got {rate})", field="labour_rate")
    return money(hours * rate)


class Job(Model):
    """One job of a repair order, with its own pay type and the customer's consent."""

    job_id: str
    operation_code: str | None = None
    description: str
    pay_type: PayType = PayType.CUSTOMER
    flat_rate_hours: Decimal = Field(ge=0)
    labour_rate: Decimal = Field(ge=0)
    parts: list[PartItem] = Field(default_factory=list)
    safety_related: bool = False
    first_service: bool = False
    finding_id: str | None = None
    completed: bool = False
    checks_passed: list[InspectionStage] = Field(
        default_factory=list, description="The quality checks (三检) this job passed since it was last (re)done, "
                                          "in order: self, team_leader, final")

    @property
    def labour_amount(self) -> Decimal:
        return labour_amount(self.flat_rate_hours, self.labour_rate)

    @property
    def parts_amount(self) -> Decimal:
        return total(p.amount for p in self.parts)

    def to_contract(self) -> RepairJob:
        return RepairJob(
            job_id=self.job_id, operation_code=self.operation_code, description=self.description,
            pay_type=self.pay_type, flat_rate_hours=self.flat_rate_hours, labour_amount=self.labour_amount,
            parts=[PartLine(part_no=p.part_no, quantity=p.quantity, unit_price=p.unit_price) for p in self.parts],
            safety_related=self.safety_related)


class Material(Model):
    """Materials (辅料): oil, cleaner, consumables, priced as one amount."""

    description: str = Field(min_length=1, max_length=200)
    amount: Decimal = Field(ge=0)
    pay_type: PayType = PayType.CUSTOMER

    @property
    def line_amount(self) -> Decimal:
        """The amount as the sheet shows it: rounded to the fen once."""
        return money(self.amount)


class EstimateTotals(Model):
    labour: Decimal
    parts: Decimal
    materials: Decimal
    total: Decimal
    by_pay_type: dict[str, Decimal]
    unpriced_parts: list[str] = Field(default_factory=list)


def rough_estimate(hours: list[Decimal], rate: Decimal, parts: list[PartItem]) -> Decimal:
    """The booking's rough estimate (预约估价): labour hours × the store's rate plus part prices."""
    return labour_amount(sum(hours, Decimal(0)), rate) + total(p.amount for p in parts)


class LineKind(StrEnum):
    LABOUR = "labour"
    PART = "part"
    MATERIAL = "material"
    FIRST_SERVICE_FREE = "first_service_free"


class SettlementLine(Model):
    kind: LineKind
    job_id: str | None = None
    description: str
    pay_type: PayType
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def job_lines(j: Job, *, require_prices: bool) -> list[SettlementLine]:
    """A job's labour line and part lines. A part without a price is refused on the sheet; on an estimate it
    counts as nothing until priced."""
    lines = [SettlementLine(kind=LineKind.LABOUR, job_id=j.job_id, description=j.description, pay_type=j.pay_type,
                            quantity=j.flat_rate_hours, unit_price=j.labour_rate, amount=j.labour_amount)]
    for p in j.parts:
        if p.unit_price is None and require_prices:
            raise DomainError(f"part {p.part_no} has no price", field="parts")
        lines.append(SettlementLine(kind=LineKind.PART, job_id=j.job_id, description=p.description or p.part_no,
                                    pay_type=j.pay_type, quantity=p.quantity, unit_price=p.unit_price or ZERO,
                                    amount=p.amount))
    return lines


def material_line(m: Material) -> SettlementLine:
    return SettlementLine(kind=LineKind.MATERIAL, description=m.description, pay_type=m.pay_type,
                          quantity=Decimal(1), unit_price=m.line_amount, amount=m.line_amount)


def by_pay_type(lines: list[SettlementLine]) -> dict[str, Decimal]:
    """Each payer's share: the sum of its rounded lines."""
    payers = sorted({ln.pay_type.value for ln in lines})
    return {p: total(ln.amount for ln in lines if ln.pay_type.value == p) for p in payers}


def estimate(jobs: list[Job], materials: list[Material]) -> EstimateTotals:
    """The estimate: labour lines, part lines and materials, and each payer's share, all sums of the same
    rounded lines (so labour + parts + materials = total = the sum of the payers' shares)."""
    lines = [ln for j in jobs for ln in job_lines(j, require_prices=False)] + [material_line(m) for m in materials]

    def of(kind: LineKind) -> Decimal:
        return total(ln.amount for ln in lines if ln.kind is kind)

    return EstimateTotals(labour=of(LineKind.LABOUR), parts=of(LineKind.PART), materials=of(LineKind.MATERIAL),
                          total=total(ln.amount for ln in lines), by_pay_type=by_pay_type(lines),
                          unpriced_parts=sorted({p.part_no for j in jobs for p in j.parts if not p.priced}))


class DeclinedWork(Model):
    """Recommended or added work the customer declined: printed on the settlement sheet."""

    finding_id: str
    description: str
    safety_related: bool
    estimated_amount: Decimal = ZERO
    signature: Signature | None = None


class SettlementSheet(Model):
    """The settlement sheet (结算单)."""

    lines: list[SettlementLine]
    totals_by_pay_type: dict[str, Decimal]
    first_service_discount: Decimal
    customer_net: Decimal
    tax_rate: Decimal
    tax: Decimal
    customer_total: Decimal
    declined_work: list[DeclinedWork] = Field(default_factory=list)
    next_service_date: date | None = Field(default=None, description="The next service's date (下次保养时间)")
    next_service_km: int | None = Field(default=None, description="The next service's mileage (下次保养里程)")


def settle(jobs: list[Job], materials: list[Material], *, tax_rate: Decimal, first_service_free: bool,
           declined: list[DeclinedWork] = ()) -> SettlementSheet:
    """Itemise by pay type. The customer pays only customer lines; the first scheduled service (首保) is
    free to the customer when the vehicle has not had it yet; VAT is added to the customer's share."""
    if tax_rate < 0:
        raise DomainError("tax rate must not be negative", field="tax_rate")
    lines: list[SettlementLine] = []
    for j in jobs:
        lines += job_lines(j, require_prices=True)
        if j.first_service and first_service_free and j.pay_type is PayType.CUSTOMER:
            free = j.labour_amount + j.parts_amount
            lines.append(SettlementLine(kind=LineKind.FIRST_SERVICE_FREE, job_id=j.job_id,
                                        description=f"first scheduled service free: {j.description}",
                                        pay_type=PayType.CUSTOMER, quantity=Decimal(1), unit_price=-free,
                                        amount=-free))
    lines += [material_line(m) for m in materials]
    shares = by_pay_type(lines)
    customer_net = shares.get(PayType.CUSTOMER.value, ZERO)
    tax = money(customer_net * tax_rate)
    return SettlementSheet(lines=lines, totals_by_pay_type=shares,
                           first_service_discount=ZERO - total(ln.amount for ln in lines
                                                         if ln.kind is LineKind.FIRST_SERVICE_FREE),
                           customer_net=customer_net, tax_rate=tax_rate, tax=tax, customer_total=customer_net + tax,
                           declined_work=list(declined))
