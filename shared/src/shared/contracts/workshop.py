"""workshop.jobs and workshop.catalogue: dispatch, repair, the three checks (三检), operation codes, capacity."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from .base import DomainEvent, event
from .common import PartLine, PayType

JOBS = "workshop.jobs"
CATALOGUE = "workshop.catalogue"


class InspectionStage(StrEnum):
    SELF = "self"
    TEAM_LEADER = "team_leader"
    FINAL = "final"


# Workshop events are keyed by repair order so one order's progress stays in order.
@event(JOBS, "JobDispatched", 1, aggregate="repair_order", key="repair_order_id")
class JobDispatched(DomainEvent):
    """A job was dispatched (派工) to a team and technician."""

    repair_order_id: str
    job_id: str
    team_id: str
    technician_id: str | None = None
    priority: int = 0


@event(JOBS, "JobStarted", 1, aggregate="repair_order", key="repair_order_id")
class JobStarted(DomainEvent):
    repair_order_id: str
    job_id: str
    technician_id: str


@event(JOBS, "JobPaused", 1, aggregate="repair_order", key="repair_order_id")
class JobPaused(DomainEvent):
    repair_order_id: str
    job_id: str
    reason: str


@event(JOBS, "AdditionalWorkFound", 1, aggregate="repair_order", key="repair_order_id")
class AdditionalWorkFound(DomainEvent):
    """A technician found new work (增项) that needs the customer's consent."""

    repair_order_id: str
    finding_id: str
    job_id: str | None = None
    description: str
    safety_related: bool = False
    operation_code: str | None = None
    estimated_hours: Decimal = Field(default=Decimal("0"), ge=0)
    parts: list[PartLine] = Field(default_factory=list)


@event(JOBS, "JobCompleted", 1, aggregate="repair_order", key="repair_order_id")
class JobCompleted(DomainEvent):
    repair_order_id: str
    job_id: str
    clocked_hours: Decimal = Field(ge=0)


@event(JOBS, "InspectionPassed", 1, aggregate="repair_order", key="repair_order_id")
class InspectionPassed(DomainEvent):
    repair_order_id: str
    stage: InspectionStage
    inspector_id: str
    job_id: str | None = None


@event(JOBS, "InspectionFailed", 1, aggregate="repair_order", key="repair_order_id")
class InspectionFailed(DomainEvent):
    repair_order_id: str
    stage: InspectionStage
    inspector_id: str
    reason: str
    job_id: str | None = None


@event(JOBS, "ReworkStarted", 1, aggregate="repair_order", key="repair_order_id")
class ReworkStarted(DomainEvent):
    """A failed check sent the job back (返工); counts against first-time fix."""

    repair_order_id: str
    job_id: str
    reason: str


@event(JOBS, "VehicleWashed", 1, aggregate="repair_order", key="repair_order_id")
class VehicleWashed(DomainEvent):
    repair_order_id: str


@event(JOBS, "ProgressDelayed", 1, aggregate="repair_order", key="repair_order_id")
class ProgressDelayed(DomainEvent):
    repair_order_id: str
    new_eta: datetime
    reason: str


@event(JOBS, "VehicleReadyForPickup", 1, aggregate="repair_order", key="repair_order_id")
class VehicleReadyForPickup(DomainEvent):
    repair_order_id: str


@event(CATALOGUE, "LabourOperationDefined", 1, aggregate="labour_operation", key="operation_code")
class LabourOperationDefined(DomainEvent):
    """An operation code (canned job) with its flat-rate hours, skill and parts kit."""

    operation_code: str
    description: str
    flat_rate_hours: Decimal = Field(ge=0)
    skill: str
    oem_code: str | None = None
    default_pay_type: PayType = PayType.CUSTOMER
    parts_kit: list[PartLine] = Field(default_factory=list)


@event(CATALOGUE, "WorkshopCapacitySet", 1, aggregate="workshop_day", key="day")
class WorkshopCapacitySet(DomainEvent):
    day: date
    bays: int = Field(ge=0)
    technician_hours: Decimal = Field(ge=0)
