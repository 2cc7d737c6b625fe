"""claims.warranty, claims.insurance and the public manufacturer contract (oem.*)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

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
    """Published by claims when a warranty claim (索赔) is opened for a repair order's warranty jobs.

    It carries the claimed amount; readers see which jobs are being claimed.
    """

    claim_id: str
    repair_order_id: str
    vehicle_id: str
    job_ids: list[str]
    amount: Decimal = Field(ge=0)


@event(WARRANTY, "WarrantyClaimSubmitted", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyClaimSubmitted(DomainEvent):
    """Published by claims when a warranty claim is sent to the manufacturer.

    The public form goes out on oem.warranty-claims; readers track the claim as awaiting the decision.
    """

    claim_id: str
    claim_number: str
    amount: Decimal = Field(ge=0)


@event(WARRANTY, "WarrantyClaimApproved", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyClaimApproved(DomainEvent):
    """Published by claims when the manufacturer approves a warranty claim, fully or in part.

    It carries the approved amount and reason codes for any cut; claims books the receivable.
    """

    claim_id: str
    approved_amount: Decimal = Field(ge=0)
    partial: bool = False
    reason_codes: list[WarrantyReason] = Field(default_factory=list)


@event(WARRANTY, "WarrantyClaimRejected", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyClaimRejected(DomainEvent):
    """Published by claims when the manufacturer rejects a warranty claim or sends it back.

    Reason codes say why; a claim returned for correction is corrected and submitted again.
    """

    claim_id: str
    reason_codes: list[WarrantyReason]
    returned_for_correction: bool = False


@event(WARRANTY, "ClaimPartsShipped", 1, aggregate="warranty_claim", key="claim_id")
class ClaimPartsShipped(DomainEvent):
    """Published by claims when claimed old parts (旧件) are shipped back to the manufacturer.

    Shipping them in time keeps the claim from being cut for parts not returned.
    """

    claim_id: str
    shipment_ref: str
    part_nos: list[str]


@event(WARRANTY, "WarrantyPaymentReceived", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyPaymentReceived(DomainEvent):
    """Published by claims when the manufacturer pays a warranty claim.

    It clears the receivable; claims reconciles it with the manufacturer and finance.
    """

    claim_id: str
    amount: Decimal
    payment_ref: str


@event(INSURANCE, "InsuranceClaimOpened", 1, aggregate="insurance_claim", key="claim_id")
class InsuranceClaimOpened(DomainEvent):
    """Published by claims when an accident car's insurance claim (保险理赔) is opened.

    It records the insurer, policy, liability and payment route (the insurer pays the store, or the customer
    pays and claims); reception settles the insurance lines accordingly.
    """

    claim_id: str
    repair_order_id: str | None = None
    vehicle_id: str
    insurer: str
    policy_number: str
    liability: str
    payment_route: str


@event(INSURANCE, "InsuranceEstimateApproved", 1, aggregate="insurance_claim", key="claim_id")
class InsuranceEstimateApproved(DomainEvent):
    """Published by claims when the insurer approves the repair estimate for a claim.

    Readers see the approved amount for the insurance jobs.
    """

    claim_id: str
    amount: Decimal = Field(ge=0)


@event(INSURANCE, "InsurancePaymentReceived", 1, aggregate="insurance_claim", key="claim_id")
class InsurancePaymentReceived(DomainEvent):
    """Published by claims when the insurer pays the store for a claim.

    It clears the insurer receivable, which is chased weekly until paid.
    """

    claim_id: str
    amount: Decimal
    payment_ref: str


@event(OEM_CLAIMS, "oem.WarrantyClaimSubmitted", 1, aggregate="warranty_claim", key="claim_number")
class OemWarrantyClaimSubmitted(DomainEvent):
    """The public contract with the manufacturer: a warranty claim (索赔) as submitted.

    claims sends it on oem.warranty-claims when a claim is submitted. It carries no customer personal data: the
    dealer code, VIN, repair date, odometer, operation codes, part numbers and amounts only.
    """

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
    """The public contract with the manufacturer: its decision on a warranty claim.

    The manufacturer sends it on oem.warranty-decisions; it carries no customer personal data. claims turns it
    into WarrantyClaimApproved or WarrantyClaimRejected.
    """

    claim_number: str
    decision: str  # approved | partly_approved | rejected | returned_for_correction
    approved_amount: Decimal = Field(default=Decimal("0"), ge=0)
    reason_codes: list[WarrantyReason] = Field(default_factory=list)


class OemDecision(StrEnum):
    """What the manufacturer decided on a claim (the `decision` of oem.WarrantyClaimDecided)."""

    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"
    RETURNED_FOR_CORRECTION = "returned_for_correction"


class OemClaimLine(BaseModel):
    """One claimed repair line as the manufacturer sees it: no customer personal data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int = Field(ge=1)
    operation_code: str | None = None
    failure: str = Field(min_length=1, max_length=500)
    causal_part_no: str | None = None
    labour_hours: Decimal = Field(ge=0)
    labour_amount: Decimal = Field(ge=0)
    part_nos: list[str] = Field(default_factory=list)
    parts_amount: Decimal = Field(ge=0)
    amount: Decimal = Field(ge=0)
    needs_manufacturer_decision: bool = False


@event(OEM_CLAIMS, "oem.WarrantyClaimSubmitted", 2, aggregate="warranty_claim", key="claim_number")
class OemWarrantyClaimSubmittedV2(DomainEvent):
    """The public contract with the manufacturer, version 2: a warranty claim (索赔) line by line.

    claims sends it on oem.warranty-claims each time a claim is submitted (`submission` counts resubmissions
    after a return for correction). Per line: failure, causal part, operation, labour hours and part costs, so the
    manufacturer can decide line by line. No customer personal data: no name, phone, plate or address.
    """

    claim_number: str
    submission: int = Field(ge=1)
    dealer_code: str
    vin: str = Field(min_length=17, max_length=17)
    repair_date: date
    odometer_km: int | None = Field(default=None, ge=0)
    lines: list[OemClaimLine] = Field(min_length=1)
    labour_amount: Decimal = Field(ge=0)
    parts_amount: Decimal = Field(ge=0)
    amount: Decimal = Field(ge=0)


class OemLineDecision(BaseModel):
    """The manufacturer's decision on one line: the amount it pays and, when cut, why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int = Field(ge=1)
    approved_amount: Decimal = Field(ge=0)
    reason_code: WarrantyReason | None = None


@event(OEM_DECISIONS, "oem.WarrantyClaimDecided", 2, aggregate="warranty_claim", key="claim_number")
class OemWarrantyClaimDecidedV2(DomainEvent):
    """The public contract with the manufacturer, version 2: its decision on one submission, line by line.

    The manufacturer sends it on oem.warranty-decisions, echoing the claim number and submission it decides.
    A partly approved claim names each line's approved amount and reason code; a claim returned for correction
    says what to correct; `return_parts_by` asks for the tagged old parts (旧件) by that date. claims reads
    version 1 too.
    """

    claim_number: str
    submission: int = Field(default=1, ge=1)
    decision: OemDecision
    lines: list[OemLineDecision] = Field(default_factory=list)
    reason_codes: list[WarrantyReason] = Field(default_factory=list)
    correction_note: str | None = Field(default=None, max_length=1000)
    return_parts_by: date | None = None


@event(WARRANTY, "WarrantyClaimLinesAdded", 1, aggregate="warranty_claim", key="claim_id")
class WarrantyClaimLinesAdded(DomainEvent):
    """Published by claims when approved added work (增项) paid by warranty joins a claim not yet submitted.

    It carries the jobs added and the claim's new amount.
    """

    claim_id: str
    repair_order_id: str
    job_ids: list[str]
    amount: Decimal = Field(ge=0)


@event(WARRANTY, "ClaimPartsReturnRequested", 1, aggregate="warranty_claim", key="claim_id")
class ClaimPartsReturnRequested(DomainEvent):
    """Published by claims when the manufacturer asks for a claim's tagged old parts (旧件) back.

    The parts room ships them by the deadline; a return not shipped by then is flagged overdue.
    """

    claim_id: str
    part_nos: list[str]
    return_by: date


@event(INSURANCE, "InsuranceRenewalDue", 1, aggregate="insurance_claim", key="vehicle_id")
class InsuranceRenewalDue(DomainEvent):
    """Published by claims when a vehicle's insurance policy known from a claim expires soon.

    crm puts it on its reminder list (insurance expiring).
    """

    vehicle_id: str
    insurer: str
    policy_number: str
    expires_on: date
