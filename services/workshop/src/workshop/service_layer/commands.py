"""Commands workshop accepts: the request bodies of its command routes (shared.kit.CommandBody).

Ids named by the path are fields typed `SkipJsonSchema[str] = ""`, set by the route with `body.bind(...)`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from shared.contracts.common import PartLine, PayType
from shared.contracts.workshop import InspectionStage
from shared.kit import CommandBody

from ..domain.shop import BayKind, Grade, Skill
from ..domain.work_order import PauseReason


# -- the shop ----------------------------------------------------------------------------------
class SetTeam(CommandBody):
    store_id: SkipJsonSchema[str] = ""
    team_id: SkipJsonSchema[str] = ""
    name: str = Field(min_length=1, max_length=100)
    leader_id: str | None = Field(default=None, max_length=64, description="The team leader's user id")


class SetTechnician(CommandBody):
    store_id: SkipJsonSchema[str] = ""
    technician_id: SkipJsonSchema[str] = ""
    name: str = Field(min_length=1, max_length=100)
    team_id: str = Field(min_length=1, max_length=64)
    grade: Grade
    skills: list[Skill] = Field(min_length=1)
    active: bool = True


class SetBay(CommandBody):
    store_id: SkipJsonSchema[str] = ""
    bay_id: SkipJsonSchema[str] = ""
    kind: BayKind
    in_service: bool = True


class SetShift(CommandBody):
    store_id: SkipJsonSchema[str] = ""
    shift_id: SkipJsonSchema[str] = ""
    team_id: str = Field(min_length=1, max_length=64)
    weekdays: list[int] = Field(min_length=1, max_length=7, description="0 = Monday … 6 = Sunday")
    start: time
    end: time
    break_minutes: int = Field(default=60, ge=0, le=240)


class SetClosedDays(CommandBody):
    store_id: SkipJsonSchema[str] = ""
    days: list[date] = Field(max_length=366)


class DefineOperation(CommandBody):
    store_id: SkipJsonSchema[str] = ""
    operation_code: SkipJsonSchema[str] = ""
    description: str = Field(min_length=1, max_length=500)
    flat_rate_hours: Decimal = Field(ge=0, le=200)
    skill: Skill
    oem_code: str | None = Field(default=None, max_length=40)
    default_pay_type: PayType = PayType.CUSTOMER
    parts_kit: list[PartLine] = Field(default_factory=list, max_length=50)


# -- jobs ---------------------------------------------------------------------------------------
class JobCommand(CommandBody):
    repair_order_id: SkipJsonSchema[str] = ""
    job_id: SkipJsonSchema[str] = ""
    version: int | None = Field(default=None, description="The work order's version you read (optional)")


class Dispatch(JobCommand):
    technician_id: str | None = Field(default=None, max_length=64,
                                      description="Leave out to take the recommended technician")


class StartJob(JobCommand):
    technician_id: str | None = Field(default=None, max_length=64,
                                      description="Defaults to the caller (a technician clocks on)")


class PauseJob(JobCommand):
    reason: PauseReason
    note: str | None = Field(default=None, max_length=500)
    resume_expected_at: datetime | None = None


class CompleteJob(JobCommand):
    pass


class RequestParts(JobCommand):
    lines: list[PartLine] = Field(min_length=1, max_length=50)


class RecordFinding(JobCommand):
    description: str = Field(min_length=1, max_length=500)
    safety_related: bool = False
    operation_code: str | None = Field(default=None, max_length=40)
    estimated_hours: Decimal = Field(default=Decimal(0), ge=0, le=200)
    photos: list[str] = Field(default_factory=list, max_length=20)
    parts: list[PartLine] = Field(default_factory=list, max_length=50)


class Inspect(JobCommand):
    stage: InspectionStage
    passed: bool
    checklist: dict[str, bool] = Field(default_factory=dict, max_length=100)
    reason: str | None = Field(default=None, max_length=500, description="Why it failed (required then)")


class JointDiagnosis(JobCommand):
    diagnosis: str = Field(min_length=1, max_length=2000)
    participants: list[str] = Field(default_factory=list, max_length=10)


class Wash(CommandBody):
    repair_order_id: SkipJsonSchema[str] = ""
