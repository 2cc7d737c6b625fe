"""Commands claims accepts: the request bodies of its command routes (shared.kit.CommandBody).

Ids named by the path are fields typed `SkipJsonSchema[str] = ""`, set by the route with `body.bind(...)`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from shared.kit import CommandBody

from ..domain.eligibility import Exclusion
from ..domain.insurance_claim import Liability, PaymentRoute

Ref = Field(min_length=1, max_length=64)


class ClaimCommand(CommandBody):
    claim_id: SkipJsonSchema[str] = ""
    version: int = Field(ge=1, description="The version the caller read (409 if it changed since)")


class SignOffPartsIssue(ClaimCommand):
    """The warranty specialist signs off the parts issued for the claim: tagged and stored."""


class CorrectLine(ClaimCommand):
    """Correct what a claim line says before (re)submission."""

    line_no: SkipJsonSchema[int] = 0
    failure: str | None = Field(default=None, min_length=1, max_length=500)
    causal_part_no: str | None = Field(default=None, min_length=1, max_length=40)
    exclusion: Exclusion | None = None
    clear_exclusion: bool = False


class SubmitClaim(ClaimCommand):
    """Send the claim to the manufacturer (again, after a correction)."""


class ShipParts(ClaimCommand):
    """Ship the tagged old parts (旧件) the manufacturer asked for."""

    shipment_ref: str = Ref
    part_nos: list[str] = Field(min_length=1)


class RecordPayment(CommandBody):
    """A payment received against a claim (at most what is still owed)."""

    claim_id: SkipJsonSchema[str] = ""
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    payment_ref: str = Ref


class OpenInsuranceClaim(CommandBody):
    """Accident-car intake (事故车接待)."""

    store_id: str = Ref
    vehicle_id: str = Ref
    repair_order_id: str | None = Field(default=None, max_length=64)
    accident_date: date
    insurer: str = Field(min_length=1, max_length=100)
    policy_number: str = Field(min_length=1, max_length=64)
    policy_expiry: date | None = None
    liability: Liability
    liability_share_pct: int = Field(default=100, ge=0, le=100)
    towing: bool = False
    surveyor: str | None = Field(default=None, max_length=100)
    payment_route: PaymentRoute


class EstimateRepair(ClaimCommand):
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class ApproveEstimate(ClaimCommand):
    """The insurer's approval of the estimate, as its surveyor gave it."""

    approved_amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2)


class RemindRenewals(CommandBody):
    """Raise renewal reminders for policies known from claims that expire within `days_ahead` days."""

    days_ahead: int = Field(default=30, ge=1, le=90)
