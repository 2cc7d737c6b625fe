"""The composed queries' answers: the gateway's own typed view of what each service answered.

Each part keeps the fields a status screen needs from the owning service's answer (that service's
OpenAPI document has the rest); fields a service adds later are ignored here until a part names them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Composition(BaseModel):
    partial: bool = Field(description="True when a service did not answer in time; `unavailable` names it")
    unavailable: list[str] = Field(description="The services whose part is missing (null) from this answer")
    withheld: list[str] = Field(default=[], description=(
        "The services whose part the caller's roles may not read (null in this answer; not partial)"))


class Estimate(_Part):
    labour: Decimal
    parts: Decimal
    materials: Decimal
    total: Decimal


class OrderStatus(_Part):
    """reception's repair order: where it stands, what it costs, what still blocks delivery."""

    id: str
    number: str | None = None
    store_id: str
    vehicle_id: str
    customer_id: str
    state: str
    promised_at: datetime | None = None
    estimate: Estimate
    delivery_blockers: list[str] = []
    invoiced_at: datetime | None = None
    delivered_at: datetime | None = None


class CheckStatus(_Part):
    stage: str
    inspector_id: str
    passed: bool
    at: datetime


class JobStatus(_Part):
    job_id: str
    description: str
    state: str
    technician_id: str | None = None
    team_id: str | None = None
    next_check: str | None = None
    checks: list[CheckStatus] = []


class WorkshopStatus(_Part):
    """workshop's work order: its jobs, who works them, and their three checks (三检)."""

    state: str
    eta: datetime
    washed: bool = False
    jobs: list[JobStatus]


class PartsLine(_Part):
    part_no: str
    planned: Decimal
    issued: Decimal
    returned: Decimal
    net_issued: Decimal
    agrees: bool


class PartsStatus(_Part):
    """The parts room's reconciliation: planned against issued and returned, per part."""

    open: bool
    agrees: bool
    lines: list[PartsLine]


class ClaimStatus(_Part):
    id: str
    claim_number: str
    state: str
    amount: Decimal
    approved_amount: Decimal | None = None


class RepairOrderStatus(Composition):
    """A repair order across reception, workshop, parts and claims. A part is null when its service is
    unavailable (named in `unavailable`) or has nothing for the order yet (workshop before the order is
    opened, parts before anything was planned)."""

    repair_order_id: str
    order: OrderStatus | None
    workshop: WorkshopStatus | None
    parts: PartsStatus | None
    claims: list[ClaimStatus] | None = Field(description="The order's warranty claims (null when unavailable "
                                             "or withheld)")


class VehicleOverview(Composition):
    """A vehicle across services: crm's record and reception's view (each service's own answer)."""

    vin: str
    crm: dict[str, Any] | None = Field(description="crm's vehicle (crm's VehiclePublic)")
    reception: dict[str, Any] | None = Field(description="reception's vehicle view (reception's VehicleView)")
    follow_ups: list[dict[str, Any]] | None = Field(
        default=None, description="crm's follow-up calls of the vehicle's owner (crm's FollowUpPublic)")
