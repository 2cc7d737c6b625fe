"""claims.warranty, claims.insurance and the public manufacturer contract (oem.*)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from .base import DomainEvent, event

WARRANTY = "claims.warranty"
INSURANCE = "claims.insurance"
OEM_CLAIMS = "oem.warranty-claims"
OEM_DECISIONS = "oem.warranty-decisions"


class WarrantyReason(StrEnum):
    """Reason codes a manufacturer gives with a warranty decision."""

    EXPIRED = "expired"
    EXCESSIVE_LABOUR = "excessive_labour"
    PART_NOT_RETURNED = "part_not_returned_in_time"
    SUBMITTED_LATE = "submitted_late"
    NOT_A_WARRANTY_FAILURE = "not_a_warranty_failure"


@event(WARRANTY, "WarrantyClaimOpened", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyClaimOpened(DomainEvent):
    claim_id: str
    repair_order_id: str
    vehicle_id: str
    job_ids: list[str]
    amount: Decimal = Field(ge=0)


@event(WARRANTY, "WarrantyClaimSubmitted", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyClaimSubmitted(DomainEvent):
    claim_id: str
    claim_number: str
    amount: Decimal = Field(ge=0)


@event(WARRANTY, "WarrantyClaimApproved", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyClaimApproved(DomainEvent):
    claim_id: str
    approved_amount: Decimal = Field(ge=0)
    partial: bool = False
    reason_codes: list[WarrantyReason] = Field(default_factory=list)


@event(WARRANTY, "WarrantyClaimRejected", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyClaimRejected(DomainEvent):
    claim_id: str
    reason_codes: list[WarrantyReason]
    returned_for_correction: bool = False


@event(WARRANTY, "ClaimPartsShipped", 1, aggregate="warranty_claim", key="claim_id")
class ClaimPartsShipped(DomainEvent):
    claim_id: str
    shipment_ref: str
    part_nos: list[str]


@event(WARRANTY, "WarrantyPaymentReceived", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyPaymentReceived(DomainEvent):
    claim_id: str
    amount: Decimal
    payment_ref: str


@event(INSURANCE, "InsuranceClaimOpened", 1, aggregate="insurance_claim", key="claim_id")
class InsuranceClaimOpened(DomainEvent):
    claim_id: str
    repair_order_id: str | None = None
    vehicle_id: str
    insurer: str
    policy_number: str
    liability: str
    payment_route: str


@event(INSURANCE, "InsuranceEstimateApproved", 1, aggregate="insurance_claim", key="claim_id")
class InsuranceEstimateApproved(DomainEvent):
    claim_id: str
    amount: Decimal = Field(ge=0)


@event(INSURANCE, "InsurancePaymentReceived", 1, aggregate="insurance_claim", key="claim_id")
class InsurancePaymentReceived(DomainEvent):
    claim_id: str
    amount: Decimal
    payment_ref: str


@event(OEM_CLAIMS, "oem.WarrantyClaimSubmitted", 1, aggregate="warranty_claim", key="claim_number")
class OemWarrantyClaimSubmitted(DomainEvent):
    """The public form sent to the manufacturer: no customer personal data."""

    claim_number: str
    dealer_code: str
    vin: str = Field(min_length=17, max_length=17)
    repair_date: date
    odometer_km: int = Field(ge=0)
    operation_codes: list[str]
    part_nos: list[str]
    labour_amount: Decimal = Field(ge=0)
    parts_amount: Decimal = Field(ge=0)


@event(OEM_DECISIONS, "oem.WarrantyClaimDecided", 1, aggregate="warranty_claim", key="claim_number")
class OemWarrantyClaimDecided(DomainEvent):
    claim_number: str
    decision: str  # approved | partly_approved | rejected | returned_for_correction
    approved_amount: Decimal = Field(default=Decimal("0"), ge=0)
    reason_codes: list[WarrantyReason] = Field(default_factory=list)
