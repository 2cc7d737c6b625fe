"""What claims's routes answer: response models and `(uow, aggregate) -> dict` views."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field
from shared.kit import UnitOfWork

from ..domain.eligibility import Eligibility
from ..domain.insurance_claim import InsuranceClaim
from ..domain.receivables import Receivable
from ..domain.warranty_claim import Decision, PartTag, Payment, WarrantyClaim


class ClaimLinePublic(BaseModel):
    line_no: int
    job_id: str
    operation_code: str | None
    failure: str
    causal_part_no: str | None
    exclusion: str | None
    labour_hours: Decimal
    labour_amount: Decimal
    parts: list[PartTag]
    parts_amount: Decimal
    amount: Decimal
    eligibility: Eligibility | None
    approved_amount: Decimal | None
    reason_code: str | None


class WarrantyClaimPublic(BaseModel):
    id: str
    dealer_group_id: str
    store_id: str
    claim_number: str
    repair_order_id: str
    repair_order_number: str
    vehicle_id: str
    vin: str
    repair_date: date
    odometer_km: int | None
    state: str
    lines: list[ClaimLinePublic]
    amount: Decimal
    approved_amount: Decimal | None
    paid: Decimal
    outstanding: Decimal
    submission: int
    submitted_at: datetime | None
    parts_issue_signed_off_by: str | None
    decisions: list[Decision]
    return_parts_by: date | None
    parts_shipped: str | None
    return_overdue: bool
    payments: list[Payment]
    version: int


def warranty_claim(uow: UnitOfWork, c: WarrantyClaim) -> WarrantyClaimPublic:
    lines = [ClaimLinePublic(**ln.model_dump(), amount=ln.amount, parts_amount=ln.parts_amount) for ln in c.lines]
    return WarrantyClaimPublic(**c.model_dump(exclude={"lines"}), lines=lines, amount=c.amount, paid=c.paid,
                               outstanding=c.outstanding, return_overdue=c.return_overdue(uow.now().date()))


def warranty_claims(uow: UnitOfWork, claims: list[WarrantyClaim]) -> list[WarrantyClaimPublic]:
    return [warranty_claim(uow, c) for c in claims]


class LineEligibility(BaseModel):
    line_no: int
    job_id: str
    causal_part_no: str | None
    eligibility: Eligibility


class InsuranceClaimPublic(BaseModel):
    id: str
    dealer_group_id: str
    store_id: str
    vehicle_id: str
    repair_order_id: str | None
    accident_date: date
    insurer: str
    policy_number: str
    policy_expiry: date | None
    liability: str
    liability_share_pct: int
    towing: bool
    surveyor: str | None
    payment_route: str
    state: str
    estimate_amount: Decimal | None
    approved_amount: Decimal | None
    paid: Decimal
    outstanding: Decimal
    renewal_reminded: bool
    renewal_reminded_for: date | None = Field(default=None, description="The policy expiry whose renewal was "
                                              "reminded (once per policy and renewal window)")
    opened_at: datetime
    version: int


def insurance_claim(uow: UnitOfWork, c: InsuranceClaim) -> InsuranceClaimPublic:
    return InsuranceClaimPublic(**c.model_dump(), paid=c.paid, outstanding=c.outstanding)


def insurance_claims(uow: UnitOfWork, claims: list[InsuranceClaim]) -> list[InsuranceClaimPublic]:
    return [insurance_claim(uow, c) for c in claims]


def warranty_receivable(c: WarrantyClaim) -> Receivable:
    return Receivable(claim_id=c.id, reference=c.claim_number, debtor="manufacturer", store_id=c.store_id,
                      outstanding=c.outstanding, since=(c.decided_at or c.opened_at).date())


def insurance_receivable(c: InsuranceClaim) -> Receivable:
    return Receivable(claim_id=c.id, reference=c.policy_number, debtor=c.insurer, store_id=c.store_id,
                      outstanding=c.outstanding, since=(c.approved_at or c.opened_at).date())
