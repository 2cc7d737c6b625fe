"""The insurance claim (保险理赔) of an accident car: intake (accident, insurer, policy, liability, towing, the
insurer's surveyor), the estimate and its approval by the insurer, the payment route, and the insurer's
payments against the receivable, chased weekly until paid."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict
from shared.contracts import claims as contract
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .money import ZERO, money, total


class InsuranceState(StrEnum):
    OPEN = "open"
    ESTIMATED = "estimated"
    APPROVED = "approved"
    PAID = "paid"


class PaymentRoute(StrEnum):
    INSURER_PAYS_STORE = "insurer_pays_store"
    CUSTOMER_PAYS_AND_CLAIMS = "customer_pays_and_claims"


class Liability(StrEnum):
    """Who was liable for the accident: the insured fully, partly, or not at all (the other party's insurer)."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class InsurancePayment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_ref: str
    amount: Decimal
    received_at: datetime


class InsuranceClaim(Aggregate):
    """An accident car's claim on an insurer (保险理赔)."""

    kind: ClassVar[str] = "insurance claim"
    TRANSITIONS: ClassVar[dict[str, set]] = {
        "estimate": {InsuranceState.OPEN, InsuranceState.ESTIMATED},
        "approve_estimate": {InsuranceState.ESTIMATED},
        "pay": {InsuranceState.APPROVED},
    }

    vehicle_id: str
    repair_order_id: str | None = None
    accident_date: date
    insurer: str
    policy_number: str
    policy_expiry: date | None = None
    liability: Liability
    liability_share_pct: int = 100
    towing: bool = False
    surveyor: str | None = None
    payment_route: PaymentRoute
    state: InsuranceState = InsuranceState.OPEN
    opened_at: datetime
    estimate_amount: Decimal | None = None
    approved_amount: Decimal | None = None
    approved_at: datetime | None = None
    payments: list[InsurancePayment] = []
    renewal_reminded: bool = False
    renewal_reminded_for: date | None = None
    """The policy expiry whose renewal was reminded: one reminder per policy and renewal window."""

    @classmethod
    def open(cls, *, now: datetime, today: date, **fields) -> InsuranceClaim:
        """`today`: the store's calendar day now (an accident today is not in the future at 01:00 local)."""
        if fields["accident_date"] > today:
            raise DomainError("the accident date is in the future", field="accident_date")
        claim = cls(opened_at=now, **fields)
        claim.raise_event(contract.InsuranceClaimOpened(
            claim_id=claim.id, repair_order_id=claim.repair_order_id, vehicle_id=claim.vehicle_id,
            insurer=claim.insurer, policy_number=claim.policy_number, liability=claim.liability.value,
            payment_route=claim.payment_route.value))
        return claim

    @property
    def paid(self) -> Decimal:
        return total(p.amount for p in self.payments)

    @property
    def receivable(self) -> Decimal:
        """What the insurer owes the store: the approved estimate when the insurer pays the store, else nothing
        (the customer pays and claims it back)."""
        if self.approved_amount is None or self.payment_route is not PaymentRoute.INSURER_PAYS_STORE:
            return ZERO
        return self.approved_amount

    @property
    def outstanding(self) -> Decimal:
        return self.receivable - self.paid

    def estimate(self, amount: Decimal) -> None:
        self.require("estimate")
        self.estimate_amount, self.state = money(amount), InsuranceState.ESTIMATED
        self.changed()

    def approve_estimate(self, *, approved_amount: Decimal, now: datetime) -> None:
        """The insurer (its surveyor) approves the estimate, possibly for less."""
        self.require("approve_estimate")
        approved_amount = money(approved_amount)
        if approved_amount > self.estimate_amount:
            raise DomainError(f"approved {approved_amount} is more than the {self.estimate_amount} estimated",
                              field="approved_amount")
        self.approved_amount, self.approved_at, self.state = approved_amount, now, InsuranceState.APPROVED
        self.changed()
        self.raise_event(contract.InsuranceEstimateApproved(claim_id=self.id, amount=approved_amount))

    def record_payment(self, *, amount: Decimal, payment_ref: str, now: datetime) -> None:
        if any(p.payment_ref == payment_ref for p in self.payments):
            raise Conflict(f"payment {payment_ref} is already recorded", field="payment_ref")
        self.require("pay")
        amount = money(amount)
        if self.payment_route is not PaymentRoute.INSURER_PAYS_STORE:
            raise DomainError("the customer pays this claim and claims it back: the insurer owes the store nothing",
                              field="payment_route")
        if amount <= ZERO or amount > self.outstanding:
            raise DomainError(f"payment {amount} must be more than zero and at most the {self.outstanding} still "
                              f"owed (approved {self.approved_amount})", field="amount")
        self.payments.append(InsurancePayment(payment_ref=payment_ref, amount=amount, received_at=now))
        if self.outstanding == ZERO:
            self.state = InsuranceState.PAID
        self.changed()
        self.raise_event(contract.InsurancePaymentReceived(claim_id=self.id, amount=amount, payment_ref=payment_ref))

    @property
    def policy_key(self) -> tuple[str, str]:
        return self.insurer.strip().casefold(), self.policy_number.strip().casefold()

    @property
    def reminded_this_window(self) -> bool:
        """The renewal of this claim's policy expiry was reminded (claims from before the window was recorded
        carry only the flag: their reminder was for the expiry they hold)."""
        if self.policy_expiry is None:
            return False
        return self.renewal_reminded_for == self.policy_expiry or (
            self.renewal_reminded and self.renewal_reminded_for is None)

    def remind_renewal(self, today: date, *, days_ahead: int = 30) -> bool:
        """Raise the renewal reminder (续保提醒) once per renewal window: when the policy expires within
        `days_ahead` days and this expiry was not reminded yet."""
        if self.policy_expiry is None or self.reminded_this_window:
            return False
        if not (today <= self.policy_expiry <= today + timedelta(days=days_ahead)):
            return False
        self.renewal_reminded, self.renewal_reminded_for = True, self.policy_expiry
        self.changed()
        self.raise_event(contract.InsuranceRenewalDue(vehicle_id=self.vehicle_id, insurer=self.insurer,
                                                      policy_number=self.policy_number,
                                                      expires_on=self.policy_expiry))
        return True


def renewals_due(claims: list[InsuranceClaim], today: date, *, days_ahead: int = 30) -> list[InsuranceClaim]:
    """The claims to raise a renewal reminder on: one per policy (insurer and policy number) whose latest known
    expiry falls within `days_ahead` days and was not reminded yet, on any of its claims. A policy seen on two
    accident claims is reminded once; a policy already renewed (a later claim shows a later expiry) not at all;
    the next year's expiry is a new window."""
    by_policy: dict[tuple[str, str], list[InsuranceClaim]] = {}
    for c in claims:
        if c.policy_expiry is not None:
            by_policy.setdefault(c.policy_key, []).append(c)
    due = []
    for policy_claims in by_policy.values():
        expiry = max(c.policy_expiry for c in policy_claims)
        current = [c for c in policy_claims if c.policy_expiry == expiry]
        if not (today <= expiry <= today + timedelta(days=days_ahead)) or any(c.reminded_this_window for c in current):
            continue
        due.append(min(current, key=lambda c: (c.opened_at, c.id)))  # the same one, whichever instance runs
    return due
