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
    """The three quality checks (三检), in order: self-check, team leader, final inspection.

    The technician checks their own work, then the team leader; the QC inspector or technical director does the
    final inspection, which every vehicle gets.
    """

    SELF = "self"
    TEAM_LEADER = "team_leader"
    FINAL = "final"


# Workshop events are keyed by repair order so one order's progress stays in order.
@event(JOBS, "JobDispatched", 1, aggregate="repair_order", key="repair_order_id")
class JobDispatched(DomainEvent):
    """Published by workshop when the supervisor dispatches (派工) a job to a team and technician.

    Dispatch goes by priority, skill and load; readers follow the repair order's progress from it.
    """

    repair_order_id: str
    job_id: str
    team_id: str
    technician_id: str | None = None
    priority: int = 0


@event(JOBS, "JobStarted", 1, aggregate="repair_order", key="repair_order_id")
class JobStarted(DomainEvent):
    """Published by workshop when a technician starts work on a dispatched job.

    Readers show the job as in progress.
    """

    repair_order_id: str
    job_id: str
    technician_id: str


@event(JOBS, "JobPaused", 1, aggregate="repair_order", key="repair_order_id")
class JobPaused(DomainEvent):
    """Published by workshop when work on a job stops for a while, with the reason.

    For example waiting for parts, for the customer's decision on added work, or for a joint diagnosis; readers
    show the job as paused.
    """

    repair_order_id: str
    job_id: str
    reason: str


@event(JOBS, "AdditionalWorkFound", 1, aggregate="repair_order", key="repair_order_id")
class AdditionalWorkFound(DomainEvent):
    """A technician found new work (增项) that needs the customer's consent.

    reception prices it and the advisor asks the customer, whose decision comes back as AdditionalWorkApproved
    or AdditionalWorkDeclined.
    """

    repair_order_id: str
    finding_id: str
    job_id: str | None = None
    description: str
    safety_related: bool = False
    operation_code: str | None = None
    estimated_hours: Decimal = Field(default=Decimal("0"), ge=0)
    parts: list[PartLine] = Field(default_factory=list)


@event(JOBS, "PartsRequested", 1, aggregate="repair_order", key="repair_order_id")
class PartsRequested(DomainEvent):
    """A technician asked the parts room for parts for a job (领料申请).

    parts picks and issues them against the repair order (PartsIssued, with the job); until every requested part
    is issued the job cannot be completed.
    """

    repair_order_id: str
    job_id: str
    request_id: str
    technician_id: str
    lines: list[PartLine] = Field(min_length=1)


@event(JOBS, "JobCompleted", 1, aggregate="repair_order", key="repair_order_id")
class JobCompleted(DomainEvent):
    """Published by workshop when a technician finishes a job, with the hours clocked on it.

    reception marks the job done on the repair order (every job must be done before settlement, 结算); clocked
    hours feed technician efficiency.
    """

    repair_order_id: str
    job_id: str
    clocked_hours: Decimal = Field(ge=0)


@event(JOBS, "InspectionPassed", 1, aggregate="repair_order", key="repair_order_id")
class InspectionPassed(DomainEvent):
    """Published by workshop when a job or the vehicle passes one of the three checks (三检).

    The stage says which check; reception waits for the final inspection, without which the order cannot be
    settled.
    """

    repair_order_id: str
    stage: InspectionStage
    inspector_id: str
    job_id: str | None = None


@event(JOBS, "InspectionFailed", 1, aggregate="repair_order", key="repair_order_id")
class InspectionFailed(DomainEvent):
    """Published by workshop when a job or the vehicle fails one of the three checks (三检).

    The job goes back for rework (ReworkStarted); a failed final inspection keeps reception from settling the
    order.
    """

    repair_order_id: str
    stage: InspectionStage
    inspector_id: str
    reason: str
    job_id: str | None = None


@event(JOBS, "ReworkStarted", 1, aggregate="repair_order", key="repair_order_id")
class ReworkStarted(DomainEvent):
    """A failed check sent the job back (返工); it counts against the first-time-fix rate.

    reception reopens the job on the repair order and waits for a new final inspection.
    """

    repair_order_id: str
    job_id: str
    reason: str


@event(JOBS, "VehicleWashed", 1, aggregate="repair_order", key="repair_order_id")
class VehicleWashed(DomainEvent):
    """Published by workshop when the car has been washed, for an order whose customer accepted the wash.

    reception ticks the wash off the internal delivery check.
    """

    repair_order_id: str


@event(JOBS, "ProgressDelayed", 1, aggregate="repair_order", key="repair_order_id")
class ProgressDelayed(DomainEvent):
    """Published by workshop when a repair order will miss its promised time, with a new ETA and why.

    The advisor tells the customer at once.
    """

    repair_order_id: str
    new_eta: datetime
    reason: str


@event(JOBS, "VehicleReadyForPickup", 1, aggregate="repair_order", key="repair_order_id")
class VehicleReadyForPickup(DomainEvent):
    """Published by workshop when the car is done and parked in the completed area.

    Jobs and checks are finished; the advisor calls the customer to agree a pickup time for delivery (交车).
    """

    repair_order_id: str


@event(CATALOGUE, "LabourOperationDefined", 1, aggregate="labour_operation", key="operation_code")
class LabourOperationDefined(DomainEvent):
    """An operation code (canned job) was defined or changed by workshop.

    It carries the flat-rate hours, required skill, manufacturer's code, default pay type and parts kit;
    reception keeps a copy for bookings and estimates.
    """

    operation_code: str
    description: str
    flat_rate_hours: Decimal = Field(ge=0)
    skill: str
    oem_code: str | None = None
    default_pay_type: PayType = PayType.CUSTOMER
    parts_kit: list[PartLine] = Field(default_factory=list)


@event(CATALOGUE, "WorkshopCapacitySet", 1, aggregate="workshop_day", key="day")
class WorkshopCapacitySet(DomainEvent):
    """Published by workshop when a day's capacity (bays and technician hours) is set.

    reception keeps a copy and books (预约) only into days with room; a day without capacity is closed to
    bookings.
    """

    day: date
    bays: int = Field(ge=0)
    technician_hours: Decimal = Field(ge=0)
