"""The warranty claim (索赔单): opened from a repair order's warranty jobs, submitted to the manufacturer,
decided by it (approved, partly approved line by line, rejected, or returned for correction and submitted
again), its tagged old parts (旧件) shipped back when asked, and paid.

    open ──submit──▶ submitted ──decide──▶ approved / partly_approved ──payments──▶ paid
      ▲                  │                └──▶ rejected
      └── correct ◀── returned_for_correction (then submitted again)
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field
from shared.contracts import claims as contract
from shared.contracts.claims import OemDecision, WarrantyReason
from shared.contracts.common import RepairJob
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .eligibility import Eligibility, Exclusion, Verdict
from .money import ZERO, money, total

CLAIM_NAMESPACE = uuid.UUID("6f1c7d3e-1f55-4a3b-9c47-0b5f3c1e9a10")


class ClaimState(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"
    RETURNED = "returned_for_correction"
    PAID = "paid"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartTag(Model):
    """The tag on a claimed old part (旧件标签): claim number, VIN, part number, failure."""

    tag_no: str
    claim_number: str
    vin: str
    part_no: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    failure: str


class ClaimLine(Model):
    """One warranty job of the repair order, as claimed."""

    line_no: int
    job_id: str
    operation_code: str | None = None
    failure: str
    causal_part_no: str | None = None
    exclusion: Exclusion | None = None
    labour_hours: Decimal
    labour_amount: Decimal
    parts: list[PartTag] = Field(default_factory=list)
    eligibility: Eligibility | None = None
    approved_amount: Decimal | None = None
    reason_code: WarrantyReason | None = None

    @property
    def parts_amount(self) -> Decimal:
        return total(p.amount for p in self.parts)

    @property
    def amount(self) -> Decimal:
        return self.labour_amount + self.parts_amount


class Payment(Model):
    payment_ref: str
    amount: Decimal
    received_at: datetime


class Decision(Model):
    submission: int
    decision: OemDecision
    reason_codes: list[WarrantyReason] = Field(default_factory=list)
    line_amounts: dict[int, Decimal] = Field(default_factory=dict)
    correction_note: str | None = None
    decided_at: datetime


def claim_amount(jobs: list[RepairJob]) -> Decimal:
    """What reception's settlement charges the manufacturer for these jobs (the claim before decision)."""
    return total(_line_amount(j) for j in jobs)


def _line_amount(job: RepairJob) -> Decimal:
    return money(job.labour_amount) + total(money(p.quantity * (p.unit_price or ZERO)) for p in job.parts)


def claim_id_for(repair_order_id: str, cause: str = "") -> str:
    """One claim per repair order (and per added job that comes after submission): the same id every time."""
    return str(uuid.uuid5(CLAIM_NAMESPACE, f"{repair_order_id}/{cause}"))


class WarrantyClaim(Aggregate):
    """A warranty claim (索赔) on the manufacturer for a repair order's warranty jobs."""

    kind: ClassVar[str] = "warranty claim"
    TRANSITIONS: ClassVar[dict[str, set]] = {
        "add_jobs": {ClaimState.OPEN, ClaimState.RETURNED},
        "correct": {ClaimState.OPEN, ClaimState.RETURNED},
        "sign_off_parts_issue": {ClaimState.OPEN, ClaimState.RETURNED},
        "submit": {ClaimState.OPEN, ClaimState.RETURNED},
        "decide": {ClaimState.SUBMITTED},
        "ship_parts": {ClaimState.SUBMITTED, ClaimState.APPROVED, ClaimState.PARTLY_APPROVED, ClaimState.PAID,
                       ClaimState.REJECTED},
        "pay": {ClaimState.APPROVED, ClaimState.PARTLY_APPROVED},
    }

    claim_number: str
    repair_order_id: str
    repair_order_number: str
    vehicle_id: str
    vin: str
    dealer_code: str
    repair_date: date
    odometer_km: int | None = None
    state: ClaimState = ClaimState.OPEN
    lines: list[ClaimLine] = Field(default_factory=list)
    opened_at: datetime
    parts_issue_signed_off_by: str | None = None
    submission: int = 0
    submitted_at: datetime | None = None
    first_submitted_at: datetime | None = None
    """When the claim first went to the manufacturer: the period its value counts in (resubmissions move
    `submitted_at`, not this)."""
    decisions: list[Decision] = Field(default_factory=list)
    decided_at: datetime | None = None
    approved_amount: Decimal | None = None
    return_parts_by: date | None = None
    parts_shipped: str | None = None
    payments: list[Payment] = Field(default_factory=list)

    # -- figures -------------------------------------------------------------------------------
    @property
    def amount(self) -> Decimal:
        """The claimed amount: the sum of the lines, as reception's settlement charges them."""
        return total(ln.amount for ln in self.lines)

    @property
    def paid(self) -> Decimal:
        return total(p.amount for p in self.payments)

    @property
    def outstanding(self) -> Decimal:
        """What the manufacturer still owes: approved less paid (nothing before a decision)."""
        return (self.approved_amount or ZERO) - self.paid

    def return_overdue(self, today: date) -> bool:
        """The manufacturer asked for the parts back and the deadline passed without a shipment."""
        return self.return_parts_by is not None and self.parts_shipped is None and today > self.return_parts_by

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, *, id: str, dealer_group_id: str, store_id: str, claim_number: str, repair_order_id: str,
             repair_order_number: str, vehicle_id: str, vin: str, odometer_km: int | None, jobs: list[RepairJob],
             now: datetime, today: date) -> WarrantyClaim:
        """`today`: the store's calendar day, the repair date the manufacturer reads."""
        if not jobs:
            raise DomainError("a warranty claim needs at least one warranty job", field="jobs")
        claim = cls(id=id, dealer_group_id=dealer_group_id, store_id=store_id, claim_number=claim_number,
                    repair_order_id=repair_order_id, repair_order_number=repair_order_number, vehicle_id=vehicle_id,
                    vin=vin, dealer_code=store_id, repair_date=today, odometer_km=odometer_km, opened_at=now)
        claim._add_lines(jobs)
        claim.raise_event(contract.WarrantyClaimOpened(
            claim_id=id, repair_order_id=repair_order_id, vehicle_id=vehicle_id,
            job_ids=[j.job_id for j in jobs], amount=claim.amount))
        return claim

    def _add_lines(self, jobs: list[RepairJob]) -> list[RepairJob]:
        known = {ln.job_id for ln in self.lines}
        new = [j for j in jobs if j.job_id not in known]
        for job in new:
            no = len(self.lines) + 1
            tags = [PartTag(tag_no=f"{self.claim_number}-{no}-{i}", claim_number=self.claim_number, vin=self.vin,
                            part_no=p.part_no, quantity=p.quantity, unit_price=p.unit_price or ZERO,
                            amount=money(p.quantity * (p.unit_price or ZERO)), failure=job.description)
                    for i, p in enumerate(job.parts, start=1)]
            self.lines.append(ClaimLine(
                line_no=no, job_id=job.job_id, operation_code=job.operation_code, failure=job.description,
                causal_part_no=job.parts[0].part_no if job.parts else None, labour_hours=job.flat_rate_hours,
                labour_amount=money(job.labour_amount), parts=tags))
        return new

    def add_jobs(self, jobs: list[RepairJob]) -> None:
        """Approved added work paid by warranty joins the claim (once per job)."""
        self.require("add_jobs")
        new = self._add_lines(jobs)
        if new:
            self.changed()
            self.raise_event(contract.WarrantyClaimLinesAdded(
                claim_id=self.id, repair_order_id=self.repair_order_id, job_ids=[j.job_id for j in new],
                amount=self.amount))

    # -- before submission ---------------------------------------------------------------------
    def line(self, line_no: int) -> ClaimLine:
        for ln in self.lines:
            if ln.line_no == line_no:
                return ln
        raise DomainError(f"claim {self.claim_number} has no line {line_no}", field="line_no")

    def correct_line(self, line_no: int, *, failure: str | None, causal_part_no: str | None,
                     exclusion: Exclusion | None, clear_exclusion: bool = False) -> None:
        """The specialist corrects what a line says (failure, causal part, an exclusion found)."""
        self.require("correct")
        ln = self.line(line_no)
        if failure is not None:
            ln.failure = failure
            for tag in ln.parts:
                tag.failure = failure
        if causal_part_no is not None:
            if causal_part_no not in {p.part_no for p in ln.parts}:
                raise DomainError(f"{causal_part_no} is not a part of line {line_no}", field="causal_part_no")
            ln.causal_part_no = causal_part_no
        if exclusion is not None or clear_exclusion:
            ln.exclusion = exclusion
        self.changed()

    def sign_off_parts_issue(self, *, by: str) -> None:
        """The specialist signs off the parts issued for the claim (tagged and stored)."""
        self.require("sign_off_parts_issue")
        self.parts_issue_signed_off_by = by
        self.changed()

    def assess(self, answers: dict[int, Eligibility]) -> None:
        """Record each line's eligibility (from crm's vehicle record, at opening and again at submission)."""
        for ln in self.lines:
            if ln.line_no in answers:
                ln.eligibility = answers[ln.line_no]

    def submit(self, *, answers: dict[int, Eligibility], now: datetime) -> None:
        """Send the claim (again, after a correction): every line eligible or the manufacturer's to decide."""
        self.require("submit")
        self.assess(answers)
        refused = [ln for ln in self.lines if ln.eligibility and ln.eligibility.verdict is Verdict.NOT_COVERED]
        if refused:
            why = "; ".join(f"line {ln.line_no}: {ln.eligibility.rule.value} ({ln.eligibility.detail})"
                            for ln in refused)
            raise DomainError(f"not covered by warranty: {why}", field="lines", rule=refused[0].eligibility.rule.value)
        if any(ln.parts for ln in self.lines) and not self.parts_issue_signed_off_by:
            raise DomainError("the parts issue must be signed off before the claim is submitted",
                              field="parts_issue_signed_off_by")
        self.state, self.submission, self.submitted_at = ClaimState.SUBMITTED, self.submission + 1, now
        self.first_submitted_at = self.first_submitted_at or now
        self.changed()
        self.raise_event(contract.WarrantyClaimSubmitted(claim_id=self.id, claim_number=self.claim_number,
                                                         amount=self.amount))
        self.raise_event(self.public_form())

    def public_form(self) -> contract.OemWarrantyClaimSubmittedV2:
        """What the manufacturer receives: no customer personal data (no name, phone or plate)."""
        return contract.OemWarrantyClaimSubmittedV2(
            claim_number=self.claim_number, submission=self.submission, dealer_code=self.dealer_code, vin=self.vin,
            repair_date=self.repair_date, odometer_km=self.odometer_km,
            lines=[contract.OemClaimLine(
                line_no=ln.line_no, operation_code=ln.operation_code, failure=ln.failure,
                causal_part_no=ln.causal_part_no, labour_hours=ln.labour_hours, labour_amount=ln.labour_amount,
                part_nos=[p.part_no for p in ln.parts], parts_amount=ln.parts_amount, amount=ln.amount,
                needs_manufacturer_decision=bool(
                    ln.eligibility and ln.eligibility.verdict is Verdict.NEEDS_MANUFACTURER_DECISION))
                for ln in self.lines],
            labour_amount=total(ln.labour_amount for ln in self.lines),
            parts_amount=total(ln.parts_amount for ln in self.lines), amount=self.amount)

    # -- the manufacturer's decision -----------------------------------------------------------
    def decide(self, d: contract.OemWarrantyClaimDecidedV2, *, now: datetime,
               approved_total: Decimal | None = None) -> bool:
        """Apply the manufacturer's decision on a submission. False when it changes nothing: a decision on an
        earlier submission, or the same decision delivered again. A different decision on a submission already
        decided, or one on a submission never sent, is refused (it goes to the dead-letter topic)."""
        if d.submission > self.submission:
            raise DomainError(f"claim {self.claim_number} was submitted {self.submission} time(s); no submission "
                              f"{d.submission} to decide", field="submission")
        record = Decision(submission=d.submission, decision=d.decision, reason_codes=list(d.reason_codes),
                          line_amounts={x.line_no: x.approved_amount for x in d.lines},
                          correction_note=d.correction_note, decided_at=now)
        prior = next((x for x in self.decisions if x.submission == d.submission), None)
        if prior is not None:
            if prior.model_dump(exclude={"decided_at"}) == record.model_dump(exclude={"decided_at"}):
                return False
            raise Conflict(f"claim {self.claim_number} submission {d.submission} was already decided "
                           f"{prior.decision.value}", field="decision")
        if d.submission < self.submission:
            return False
        self.require("decide")
        self._apply(d, approved_total)
        self.decisions.append(record)
        self.decided_at = now
        if d.return_parts_by is not None and self.return_parts_by is None:
            self.return_parts_by = d.return_parts_by
            self.raise_event(contract.ClaimPartsReturnRequested(
                claim_id=self.id, part_nos=[p.part_no for ln in self.lines for p in ln.parts],
                return_by=d.return_parts_by))
        self.changed()
        return True

    def _apply(self, d: contract.OemWarrantyClaimDecidedV2, approved_total: Decimal | None) -> None:
        if d.decision is OemDecision.RETURNED_FOR_CORRECTION:
            self.state = ClaimState.RETURNED
            self.raise_event(contract.WarrantyClaimRejected(claim_id=self.id, reason_codes=list(d.reason_codes),
                                                            returned_for_correction=True))
            return
        if d.decision is OemDecision.REJECTED:
            if not d.reason_codes:
                raise DomainError("a rejection needs a reason code", field="reason_codes")
            self.state, self.approved_amount = ClaimState.REJECTED, ZERO
            for ln in self.lines:
                ln.approved_amount, ln.reason_code = ZERO, d.reason_codes[0]
            self.raise_event(contract.WarrantyClaimRejected(claim_id=self.id, reason_codes=list(d.reason_codes)))
            return
        cuts = self._approve_lines(d)
        self.approved_amount = approved_total if approved_total is not None else total(
            ln.approved_amount for ln in self.lines)
        if self.approved_amount > self.amount:
            raise DomainError(f"approved {self.approved_amount} is more than the {self.amount} claimed",
                              field="approved_amount")
        partial = d.decision is OemDecision.PARTLY_APPROVED or self.approved_amount < self.amount
        self.state = ClaimState.PARTLY_APPROVED if partial else ClaimState.APPROVED
        reasons = list(dict.fromkeys([*d.reason_codes, *cuts]))
        self.raise_event(contract.WarrantyClaimApproved(claim_id=self.id, approved_amount=self.approved_amount,
                                                        partial=partial, reason_codes=reasons))

    def _approve_lines(self, d: contract.OemWarrantyClaimDecidedV2) -> list[WarrantyReason]:
        """Each line's approved amount (lines the decision does not name are approved in full); the reasons
        for the cuts."""
        given = {x.line_no: x for x in d.lines}
        unknown = sorted(set(given) - {ln.line_no for ln in self.lines})
        if unknown:
            raise DomainError(f"claim {self.claim_number} has no line(s) {unknown}", field="lines")
        cuts = []
        for ln in self.lines:
            x = given.get(ln.line_no)
            ln.approved_amount = money(x.approved_amount) if x else ln.amount
            if ln.approved_amount > ln.amount:
                raise DomainError(f"line {ln.line_no}: approved {ln.approved_amount} is more than the "
                                  f"{ln.amount} claimed", field="lines")
            if ln.approved_amount < ln.amount:
                if x is None or x.reason_code is None:
                    raise DomainError(f"line {ln.line_no} is cut without a reason code", field="lines")
                ln.reason_code = x.reason_code
                cuts.append(x.reason_code)
        return cuts

    # -- old parts and money -------------------------------------------------------------------
    def ship_parts(self, *, shipment_ref: str, part_nos: list[str]) -> None:
        """Ship the tagged old parts (旧件回运) the manufacturer asked for."""
        self.require("ship_parts")
        if self.return_parts_by is None:
            raise DomainError("the manufacturer has not asked for these parts back", field="shipment_ref")
        if self.parts_shipped is not None:
            raise Conflict(f"the parts were shipped already ({self.parts_shipped})", field="shipment_ref")
        tagged = {p.part_no for ln in self.lines for p in ln.parts}
        missing, extra = sorted(tagged - set(part_nos)), sorted(set(part_nos) - tagged)
        if extra:
            raise DomainError(f"not tagged on this claim: {', '.join(extra)}", field="part_nos")
        if missing:
            raise DomainError(f"tagged parts missing from the shipment: {', '.join(missing)}", field="part_nos")
        self.parts_shipped = shipment_ref
        self.changed()
        self.raise_event(contract.ClaimPartsShipped(claim_id=self.id, shipment_ref=shipment_ref,
                                                    part_nos=sorted(part_nos)))

    def record_payment(self, *, amount: Decimal, payment_ref: str, now: datetime) -> None:
        """The manufacturer's payment, reconciled against this claim: never more than is still owed."""
        if any(p.payment_ref == payment_ref for p in self.payments):
            raise Conflict(f"payment {payment_ref} is already recorded on claim {self.claim_number}",
                           field="payment_ref")
        self.require("pay")
        amount = money(amount)
        if amount <= ZERO:
            raise DomainError("a payment must be more than zero", field="amount")
        if amount > self.outstanding:
            raise DomainError(f"payment {amount} is more than the {self.outstanding} still owed on claim "
                              f"{self.claim_number} (approved {self.approved_amount})", field="amount")
        self.payments.append(Payment(payment_ref=payment_ref, amount=amount, received_at=now))
        if self.outstanding == ZERO:
            self.state = ClaimState.PAID
        self.changed()
        self.raise_event(contract.WarrantyPaymentReceived(claim_id=self.id, amount=amount, payment_ref=payment_ref))
