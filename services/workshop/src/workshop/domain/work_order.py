"""A repair order as the workshop works it: its jobs, their dispatch (派工), clocked time, parts,
added work (增项), the three quality checks (三检), rework (返工), the wash and the hand-back.

Job lifecycle: queued → dispatched → in progress ⇄ paused → completed → checked self → team leader →
final (passed). A failed check sends the job to rework, which must be started and completed again
and checked again from the self-check; it counts against the first-time-fix rate (一次修复率).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field
from shared.contracts import workshop as ev
from shared.contracts.common import PartLine
from shared.contracts.workshop import InspectionStage
from shared.errors import Conflict, DomainError, Forbidden, InvalidTransition, NotFound
from shared.kit import Aggregate

STAGES = (InspectionStage.SELF, InspectionStage.TEAM_LEADER, InspectionStage.FINAL)
# Who may do a stage, besides the rule that the technician does the self-check.
STAGE_ROLES = {InspectionStage.TEAM_LEADER: {"team_leader", "technical_director"},
               InspectionStage.FINAL: {"qc_inspector", "technical_director"}}
HOUR = Decimal(3600)


class JobState(StrEnum):
    QUEUED = "queued"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    COMPLETED = "completed"
    REWORK = "rework"
    PASSED = "passed"


class PauseReason(StrEnum):
    WAITING_PARTS = "waiting_parts"
    WAITING_APPROVAL = "waiting_approval"
    JOINT_DIAGNOSIS = "joint_diagnosis"
    OTHER = "other"


JOB_TRANSITIONS: dict[str, set[JobState]] = {
    "dispatch": {JobState.QUEUED, JobState.DISPATCHED, JobState.REWORK},
    "start": {JobState.DISPATCHED, JobState.REWORK},
    "pause": {JobState.IN_PROGRESS},
    "resume": {JobState.PAUSED},
    "complete": {JobState.IN_PROGRESS},
    "inspect": {JobState.COMPLETED},
}


class TimeEntry(BaseModel):
    """Clocked time (打卡工时) of one technician on a job, from start to stop."""

    technician_id: str
    started_at: datetime
    stopped_at: datetime | None = None

    def hours(self, now: datetime) -> Decimal:
        return Decimal(int(((self.stopped_at or now) - self.started_at).total_seconds())) / HOUR


class Check(BaseModel):
    """One recorded check of the three (三检): the checklist, pass or fail, who and when."""

    stage: InspectionStage
    inspector_id: str
    passed: bool
    checklist: dict[str, bool] = Field(default_factory=dict)
    reason: str | None = None
    at: datetime
    round: int = Field(description="1 the first time; each rework starts a new round")


class Finding(BaseModel):
    """Added work found (增项) during the job, awaiting the customer's decision."""

    finding_id: str
    job_id: str
    description: str
    safety_related: bool
    operation_code: str | None = None
    estimated_hours: Decimal = Decimal(0)
    photos: list[str] = Field(default_factory=list)
    found_by: str
    status: str = "pending"  # pending, approved, declined


class Job(BaseModel):
    """One job of the order, as dispatched and worked."""

    job_id: str
    description: str
    operation_code: str | None = None
    skill: str = "mechanical"
    flat_rate_hours: Decimal = Decimal(0)
    safety_related: bool = False
    state: JobState = JobState.QUEUED
    team_id: str | None = None
    technician_id: str | None = None
    dispatched_by: str | None = None
    time: list[TimeEntry] = Field(default_factory=list)
    pause_reason: PauseReason | None = None
    pause_note: str | None = None
    parts_needed: list[PartLine] = Field(default_factory=list)
    parts_issued: dict[str, Decimal] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    round: int = 1
    rework_count: int = 0
    joint_diagnosis: str | None = None
    added_work: bool = False

    def require(self, command: str) -> None:
        if self.state not in JOB_TRANSITIONS[command]:
            raise InvalidTransition(f"job {self.job_id}", self.state.value, command)

    def clocked_hours(self, now: datetime) -> Decimal:
        return sum((t.hours(now) for t in self.time), Decimal(0)).quantize(Decimal("0.01"))

    def remaining_hours(self, now: datetime) -> Decimal:
        if self.state in (JobState.COMPLETED, JobState.PASSED):
            return Decimal(0)
        return max(self.flat_rate_hours - self.clocked_hours(now), Decimal("0.25"))

    def outstanding_parts(self) -> list[str]:
        """Part numbers requested for the job and not (fully) issued yet."""
        need: dict[str, Decimal] = {}
        for p in self.parts_needed:
            need[p.part_no] = need.get(p.part_no, Decimal(0)) + p.quantity
        return sorted(n for n, q in need.items() if self.parts_issued.get(n, Decimal(0)) < q)

    def next_stage(self) -> InspectionStage | None:
        done = {c.stage for c in self.checks if c.round == self.round and c.passed}
        return next((s for s in STAGES if s not in done), None)

    def first_time_fixed(self) -> bool:
        return self.state is JobState.PASSED and self.rework_count == 0

    def stop_clock(self, now: datetime) -> None:
        for t in self.time:
            if t.stopped_at is None:
                t.stopped_at = now


class WorkOrderState(StrEnum):
    OPEN = "open"
    READY = "ready_for_pickup"
    CLOSED = "closed"  # delivered or cancelled


class WorkOrder(Aggregate):
    """The workshop's side of a repair order (维修工单); its id is the repair order's."""

    kind: ClassVar[str] = "work order"
    TRANSITIONS: ClassVar[dict[str, set]] = {"work": {WorkOrderState.OPEN},
                                             "wash": {WorkOrderState.OPEN, WorkOrderState.READY}}

    number: str
    vehicle_id: str
    promised_at: datetime
    waiting_customer: bool = False
    comeback: bool = False
    wash_requested: bool = False
    washed: bool = False
    state: WorkOrderState = WorkOrderState.OPEN
    jobs: list[Job] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    delayed_until: datetime | None = None
    opened_at: datetime

    # -- lookups -------------------------------------------------------------------------------
    def job(self, job_id: str) -> Job:
        found = next((j for j in self.jobs if j.job_id == job_id), None)
        if found is None:
            raise NotFound(f"no job {job_id} on repair order {self.number}", field="job_id")
        return found

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.finding_id == finding_id), None)

    @property
    def priority(self) -> int:
        """2 for a comeback (返修), 1 for a customer waiting in the lounge, else 0."""
        return 2 if self.comeback else 1 if self.waiting_customer else 0

    def estimated_finish(self, now: datetime) -> datetime:
        hours = sum((j.remaining_hours(now) for j in self.jobs), Decimal(0))
        return now + timedelta(seconds=int(hours * HOUR))

    # -- dispatch and repair -------------------------------------------------------------------
    def dispatch(self, job_id: str, *, team_id: str, technician_id: str, by: str) -> Job:
        self.require("work")
        job = self.job(job_id)
        job.require("dispatch")
        job.team_id, job.technician_id, job.dispatched_by = team_id, technician_id, by
        if job.state is JobState.QUEUED:
            job.state = JobState.DISPATCHED
        self._changed(ev.JobDispatched(repair_order_id=self.id, job_id=job_id, team_id=team_id,
                                       technician_id=technician_id, priority=self.priority))
        return job

    def start(self, job_id: str, *, technician_id: str, now: datetime) -> Job:
        self.require("work")
        job = self.job(job_id)
        job.require("start")
        self._must_be_assigned(job, technician_id)
        job.state = JobState.IN_PROGRESS
        job.time.append(TimeEntry(technician_id=technician_id, started_at=now))
        self._changed(ev.JobStarted(repair_order_id=self.id, job_id=job_id, technician_id=technician_id))
        self.check_promise(now, f"job {job.description} started late")
        return job

    def pause(self, job_id: str, *, reason: PauseReason, note: str | None, now: datetime,
              resume_expected_at: datetime | None = None) -> Job:
        self.require("work")
        job = self.job(job_id)
        job.require("pause")
        job.stop_clock(now)
        job.state, job.pause_reason, job.pause_note = JobState.PAUSED, reason, note
        self._changed(ev.JobPaused(repair_order_id=self.id, job_id=job_id,
                                   reason=reason.value + (f": {note}" if note else "")))
        self.check_promise(resume_expected_at or now, f"job {job.description} paused ({reason.value})")
        return job

    def resume(self, job_id: str, *, technician_id: str, now: datetime) -> Job:
        self.require("work")
        job = self.job(job_id)
        job.require("resume")
        self._must_be_assigned(job, technician_id)
        job.state, job.pause_reason, job.pause_note = JobState.IN_PROGRESS, None, None
        job.time.append(TimeEntry(technician_id=technician_id, started_at=now))
        self._changed(ev.JobStarted(repair_order_id=self.id, job_id=job_id, technician_id=technician_id))
        return job

    def complete(self, job_id: str, *, now: datetime) -> Job:
        self.require("work")
        job = self.job(job_id)
        job.require("complete")
        missing = job.outstanding_parts()
        if missing:
            raise Conflict(f"job {job_id} cannot be completed: parts not issued yet: {', '.join(missing)}",
                           field="parts", parts_not_issued=missing)
        job.stop_clock(now)
        job.state = JobState.COMPLETED
        self._changed(ev.JobCompleted(repair_order_id=self.id, job_id=job_id, clocked_hours=job.clocked_hours(now)))
        return job

    def escalate(self, job_id: str, *, diagnosis: str, by: str, participants: list[str]) -> Job:
        """A hard fault's joint diagnosis with the technical director (技术总监会诊), recorded on the job."""
        self.require("work")
        job = self.job(job_id)
        job.joint_diagnosis = f"{diagnosis} (by {by}; with {', '.join(participants) or 'nobody else'})"
        self.changed()
        return job

    def _must_be_assigned(self, job: Job, technician_id: str) -> None:
        if job.technician_id != technician_id:
            raise Forbidden(f"job {job.job_id} is dispatched to {job.technician_id}, not to {technician_id}",
                            field="technician_id")

    def check_promise(self, now: datetime, reason: str) -> None:
        """ProgressDelayed at once when the order will miss its promised time (or a later estimate)."""
        eta = self.estimated_finish(now)
        if eta > self.promised_at and (self.delayed_until is None or eta > self.delayed_until):
            self.delayed_until = eta
            self.raise_event(ev.ProgressDelayed(repair_order_id=self.id, new_eta=eta, reason=reason))

    def _changed(self, event) -> None:
        self.changed()
        self.raise_event(event)

    # -- parts -----------------------------------------------------------------------------------
    def request_parts(self, job_id: str, *, request_id: str, technician_id: str, lines: list[PartLine]) -> Job:
        self.require("work")
        job = self.job(job_id)
        if job.state in (JobState.COMPLETED, JobState.PASSED):
            raise InvalidTransition(f"job {job_id}", job.state.value, "request parts")
        job.parts_needed.extend(lines)
        self._changed(ev.PartsRequested(repair_order_id=self.id, job_id=job_id, request_id=request_id,
                                        technician_id=technician_id, lines=lines))
        return job

    def parts_moved(self, lines: list[PartLine], *, job_id: str | None, returned: bool = False) -> None:
        """Parts issued (or returned) against the order: to the job named, else to the jobs needing them."""
        for line in lines:
            jobs = [self.job(job_id)] if job_id and any(j.job_id == job_id for j in self.jobs) else [
                j for j in self.jobs if any(p.part_no == line.part_no for p in j.parts_needed)]
            if not jobs:
                continue
            left = line.quantity
            for job in jobs:
                need = sum((p.quantity for p in job.parts_needed if p.part_no == line.part_no), Decimal(0))
                have = job.parts_issued.get(line.part_no, Decimal(0))
                take = left if returned or job is jobs[-1] else min(left, max(need - have, Decimal(0)))
                job.parts_issued[line.part_no] = max(have - take, Decimal(0)) if returned else have + take
                left -= take
                if left <= 0:
                    break

    # -- added work (增项) ------------------------------------------------------------------------
    def find_added_work(self, finding: Finding, *, parts: list[PartLine]) -> Finding:
        self.require("work")
        self.job(finding.job_id)
        if self.finding(finding.finding_id):
            raise Conflict(f"finding {finding.finding_id} is already recorded", field="finding_id")
        self.findings.append(finding)
        self._changed(ev.AdditionalWorkFound(
            repair_order_id=self.id, finding_id=finding.finding_id, job_id=finding.job_id,
            description=finding.description, safety_related=finding.safety_related,
            operation_code=finding.operation_code, estimated_hours=finding.estimated_hours, parts=parts))
        return finding

    def added_work_approved(self, finding_id: str, job: Job, now: datetime) -> None:
        """The customer approved: the new job joins the queue and the plan is checked against the promise."""
        f = self.finding(finding_id)
        if f is not None:
            f.status = "approved"
        if any(j.job_id == job.job_id for j in self.jobs):
            return
        job.added_work = True
        self.jobs.append(job)
        if self.state is WorkOrderState.READY:
            self.state = WorkOrderState.OPEN
        self.check_promise(now, f"added work approved: {job.description}")

    def added_work_declined(self, finding_id: str) -> None:
        f = self.finding(finding_id)
        if f is not None:
            f.status = "declined"

    # -- the three checks (三检) -------------------------------------------------------------------
    def inspect(self, job_id: str, *, stage: InspectionStage, inspector_id: str, inspector_roles: set[str],
                passed: bool, checklist: dict[str, bool], reason: str | None, now: datetime) -> Check:
        self.require("work")
        job = self.job(job_id)
        job.require("inspect")
        expected = job.next_stage()
        if stage != expected:
            raise Conflict(f"job {job_id} needs the {expected.value} check before the {stage.value} check",
                           field="stage", expected_stage=expected.value)
        self._may_inspect(job, stage, inspector_id, inspector_roles)
        if not passed and not reason:
            raise DomainError("a failed check needs the reason", field="reason")
        check = Check(stage=stage, inspector_id=inspector_id, passed=passed, checklist=checklist,
                      reason=reason, at=now, round=job.round)
        job.checks.append(check)
        if passed:
            self._passed(job, check)
        else:
            self._failed(job, check)
        return check

    def _may_inspect(self, job: Job, stage: InspectionStage, inspector_id: str, roles: set[str]) -> None:
        """The technician checks their own work; nobody else may, and nobody does two stages of one job."""
        workers = {job.technician_id} | {t.technician_id for t in job.time}
        if stage is InspectionStage.SELF:
            if inspector_id != job.technician_id:
                raise Forbidden(f"the self-check of job {job.job_id} is for its technician {job.technician_id}",
                                field="inspector_id")
            return
        if inspector_id in workers:
            raise Forbidden(f"{inspector_id} worked on job {job.job_id} and may not inspect their own work",
                            field="inspector_id")
        if not roles & STAGE_ROLES[stage]:
            raise Forbidden(f"the {stage.value} check needs one of: {', '.join(sorted(STAGE_ROLES[stage]))}",
                            field="stage")
        if any(c.inspector_id == inspector_id and c.round == job.round for c in job.checks):
            raise Forbidden(f"{inspector_id} already did a check of job {job.job_id}: the same person may not "
                            "do two stages", field="inspector_id")

    def _passed(self, job: Job, check: Check) -> None:
        if check.stage is InspectionStage.FINAL:
            job.state = JobState.PASSED
        self._changed(ev.InspectionPassed(repair_order_id=self.id, stage=check.stage,
                                          inspector_id=check.inspector_id, job_id=job.job_id))
        self._maybe_ready()

    def _failed(self, job: Job, check: Check) -> None:
        """Back to rework (返工): a new round of work and checks; counts against first-time fix."""
        job.state, job.round, job.rework_count = JobState.REWORK, job.round + 1, job.rework_count + 1
        self._changed(ev.InspectionFailed(repair_order_id=self.id, stage=check.stage,
                                          inspector_id=check.inspector_id, reason=check.reason or "",
                                          job_id=job.job_id))
        self.raise_event(ev.ReworkStarted(repair_order_id=self.id, job_id=job.job_id, reason=check.reason or ""))

    # -- wash and hand-back ---------------------------------------------------------------------
    @property
    def all_passed(self) -> bool:
        return bool(self.jobs) and all(j.state is JobState.PASSED for j in self.jobs)

    def wash(self) -> None:
        """Wash (洗车) once every job passed its final inspection, if the customer accepted a wash."""
        self.require("wash")
        if not self.wash_requested:
            raise Conflict(f"repair order {self.number} did not ask for a wash", field="wash")
        if self.washed:
            raise Conflict(f"repair order {self.number} is already washed", field="wash")
        if not self.all_passed:
            raise Conflict("the car is washed after every job passed its final inspection", field="jobs")
        self.washed = True
        self._changed(ev.VehicleWashed(repair_order_id=self.id))
        self._maybe_ready()

    def _maybe_ready(self) -> None:
        """VehicleReadyForPickup, once: every job passed its final inspection and the wash is done."""
        if self.state is WorkOrderState.OPEN and self.all_passed and (self.washed or not self.wash_requested):
            self.state = WorkOrderState.READY
            self.raise_event(ev.VehicleReadyForPickup(repair_order_id=self.id))

    def close(self) -> None:
        """Delivered or cancelled at reception: off the board."""
        self.state = WorkOrderState.CLOSED
        for job in self.jobs:
            job.stop_clock(self.opened_at if not job.time else job.time[-1].started_at)
        self.changed()
