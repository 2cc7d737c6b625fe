"""Customer care over HTTP: follow-up calls (回访), complaints (工联单), call tasks, reminders, reports."""

from __future__ import annotations

from datetime import date, datetime
from datetime import date as Day
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from shared.auth import Principal, Role, require_roles
from shared.commands import run_command
from shared.db import unit_of_work

from ..adapters import repository as repo
from ..domain.reports import last_full_week, last_month
from ..service_layer import care, reminders, reports
from .common import CareAgent, CareReader, Strict, Versioned, public, tz

router = APIRouter()

ComplaintOpener = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.ADVISOR, Role.GENERAL_MANAGER))]
ComplaintAssigner = Annotated[Principal, Depends(require_roles(Role.GENERAL_MANAGER))]
ComplaintHandler = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER))]
FollowUpRetrier = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.ADVISOR))]
ReportReader = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER, Role.GROUP_ANALYST, Role.GROUP_ADMIN))]
ReminderRunner = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.GROUP_ADMIN))]


# -- follow-ups ------------------------------------------------------------------------------
class FollowUpPublic(BaseModel):
    id: str
    store_id: str
    repair_order_id: str
    customer_id: str
    vehicle_id: str
    advisor_id: str | None
    delivered_at: datetime
    due_from: datetime
    due_to: datetime
    status: str
    round: int
    attempts: list[dict[str, Any]]
    failure_reason: str | None
    satisfaction: int | None
    answers: dict[str, int]
    comments: str | None
    complaint_id: str | None
    next_service_date: date | None
    completed_at: datetime | None
    version: int


class AttemptCreate(Versioned):
    outcome: str = Field(description="no_answer, call_back_later, wrong_number, details_mismatch, refused")
    called_at: datetime | None = Field(default=None, description="When the call was made; default now")
    note: str | None = Field(default=None, max_length=2000)


class FollowUpFail(Versioned):
    reason: str = Field(description="wrong_number, details_mismatch, refused, or no_answer (after ≥3 attempts)")


class ComplaintRaised(Strict):
    severity: str = Field(description="grumble, general, medium, severe")
    summary: str = Field(min_length=1, max_length=4000)


class FollowUpComplete(Versioned):
    called_at: datetime | None = None
    satisfaction: int = Field(ge=1, le=5)
    answers: dict[str, int] = Field(default_factory=dict, description="Per question, 1-5")
    comments: str | None = Field(default=None, max_length=4000)
    next_service_date: date | None = Field(default=None, description="Default: the date given at delivery")
    complaint: ComplaintRaised | None = None


@router.get("/follow-ups", response_model=list[FollowUpPublic], tags=["follow-ups"])
async def list_follow_ups(request: Request, principal: CareReader, store_id: str | None = None,
                          status: str | None = None, due_before: datetime | None = None,
                          customer_id: str | None = None):
    async with unit_of_work(request.app.state.runtime.sessions) as s:
        rows = await care.list_follow_ups(s, principal, store_id=store_id, status=status, due_before=due_before,
                                          customer_id=customer_id)
        return [public(FollowUpPublic, r) for r in rows]


@router.get("/follow-ups/{follow_up_id}", response_model=FollowUpPublic, tags=["follow-ups"])
async def get_follow_up(follow_up_id: str, request: Request, principal: CareReader):
    async with unit_of_work(request.app.state.runtime.sessions) as s:
        return public(FollowUpPublic, await care.get_follow_up(s, principal, follow_up_id))


@router.post("/follow-ups/{follow_up_id}/attempts", response_model=FollowUpPublic, tags=["follow-ups"])
async def record_attempt(follow_up_id: str, body: AttemptCreate, request: Request, principal: CareAgent):
    """A call that did not complete the follow-up, inside a call window (the customer's, 09:00-11:30 or
    14:00-19:00); after no answer, the next call must be in a different window. A wrong number, mismatching
    details or a refusal fail the follow-up (FollowUpFailed, back to the advisor)."""
    rt = request.app.state.runtime

    async def handle(s):
        row = await care.record_attempt(s, rt.outbox, rt.clock, tz(request), principal, follow_up_id,
                                        version=body.version, called_at=body.called_at, outcome=body.outcome,
                                        note=body.note)
        return 200, public(FollowUpPublic, row)

    return await run_command(request, principal, body, handle)


@router.post("/follow-ups/{follow_up_id}/complete", response_model=FollowUpPublic, tags=["follow-ups"])
async def complete_follow_up(follow_up_id: str, body: FollowUpComplete, request: Request, principal: CareAgent):
    """The customer was reached: satisfaction, answers, comments, optionally a complaint (opens a ticket,
    ComplaintOpened), and the next service date."""
    rt = request.app.state.runtime

    async def handle(s):
        row = await care.complete_follow_up(
            s, rt.outbox, rt.clock, tz(request), principal, follow_up_id, version=body.version,
            called_at=body.called_at, satisfaction=body.satisfaction, answers=body.answers, comments=body.comments,
            next_service_date=body.next_service_date,
            complaint=body.complaint.model_dump() if body.complaint else None)
        return 200, public(FollowUpPublic, row)

    return await run_command(request, principal, body, handle)


@router.post("/follow-ups/{follow_up_id}/fail", response_model=FollowUpPublic, tags=["follow-ups"])
async def fail_follow_up(follow_up_id: str, body: FollowUpFail, request: Request, principal: CareAgent):
    """Give up: only for the allowed reasons; no answer needs at least 3 unanswered calls."""
    rt = request.app.state.runtime

    async def handle(s):
        row = await care.fail_follow_up(s, rt.outbox, rt.clock, principal, follow_up_id, version=body.version,
                                        reason=body.reason)
        return 200, public(FollowUpPublic, row)

    return await run_command(request, principal, body, handle)


@router.post("/follow-ups/{follow_up_id}/retry", response_model=FollowUpPublic, tags=["follow-ups"])
async def retry_follow_up(follow_up_id: str, body: Versioned, request: Request, principal: FollowUpRetrier):
    """The advisor corrected the customer's details: call again (a new round of attempts)."""
    rt = request.app.state.runtime

    async def handle(s):
        row = await care.retry_follow_up(s, rt.outbox, rt.clock, tz(request), principal, follow_up_id,
                                         version=body.version)
        return 200, public(FollowUpPublic, row)

    return await run_command(request, principal, body, handle)


# -- complaints ------------------------------------------------------------------------------
class ComplaintCreate(Strict):
    store_id: str = Field(min_length=1, max_length=64)
    customer_id: str = Field(min_length=1, max_length=64)
    vehicle_id: str | None = Field(default=None, max_length=64)
    repair_order_id: str | None = Field(default=None, max_length=64)
    channel: str = Field(description="phone, follow_up_call, in_person, letter, email, website, social_media, "
                                     "wechat, government")
    severity: str = Field(description="grumble, general, medium, severe")
    summary: str = Field(min_length=1, max_length=4000)


class ComplaintAssign(Versioned):
    department: str = Field(min_length=1, max_length=100)
    deadline: datetime


class ComplaintResolve(Versioned):
    remedy: str = Field(min_length=1, max_length=4000)


class ComplaintClose(Versioned):
    customer_confirmed: bool = Field(description="The customer confirmed the complaint is resolved")


class ComplaintReopen(Versioned):
    reason: str = Field(min_length=1, max_length=2000)


class ComplaintPublic(BaseModel):
    id: str
    store_id: str
    customer_id: str
    vehicle_id: str | None
    repair_order_id: str | None
    follow_up_id: str | None
    channel: str
    severity: str
    summary: str
    status: str
    opened_at: datetime
    department: str | None
    deadline: datetime | None
    assigned_by: str | None
    remedy: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    history: list[dict[str, Any]]
    version: int
    overdue: bool = False


def _complaint(row, now: datetime) -> dict:
    return public(ComplaintPublic, row) | {"overdue": repo.complaint_from_row(row).is_overdue(now)}


@router.post("/complaints", status_code=201, response_model=ComplaintPublic, tags=["complaints"])
async def open_complaint(body: ComplaintCreate, request: Request, principal: ComplaintOpener):
    """Open a complaint ticket (工联单). Publishes ComplaintOpened."""
    principal.check_store(body.store_id)
    rt = request.app.state.runtime

    async def handle(s):
        row = await care.open_complaint(s, rt.outbox, rt.clock, principal, **body.model_dump())
        return 201, _complaint(row, rt.clock.now())

    return await run_command(request, principal, body, handle)


@router.get("/complaints", response_model=list[ComplaintPublic], tags=["complaints"])
async def list_complaints(request: Request, principal: CareReader, store_id: str | None = None,
                          status: str | None = None, overdue: bool | None = None):
    rt = request.app.state.runtime
    async with unit_of_work(rt.sessions) as s:
        now = rt.clock.now()
        rows = await care.list_complaints(s, principal, store_id=store_id, status=status, overdue=overdue, now=now)
        return [_complaint(r, now) for r in rows]


@router.get("/complaints/{complaint_id}", response_model=ComplaintPublic, tags=["complaints"])
async def get_complaint(complaint_id: str, request: Request, principal: CareReader):
    rt = request.app.state.runtime
    async with unit_of_work(rt.sessions) as s:
        return _complaint(await care.get_complaint(s, principal, complaint_id), rt.clock.now())


def _complaint_command(request: Request, principal: Principal, complaint_id: str, body: Versioned, act):
    rt = request.app.state.runtime

    async def handle(s):
        row = await care.change_complaint(s, rt.outbox, principal, complaint_id, version=body.version,
                                          act=lambda c: act(c, rt.clock.now()))
        return 200, _complaint(row, rt.clock.now())

    return run_command(request, principal, body, handle)


@router.post("/complaints/{complaint_id}/assign", response_model=ComplaintPublic, tags=["complaints"])
async def assign_complaint(complaint_id: str, body: ComplaintAssign, request: Request, principal: ComplaintAssigner):
    """The general manager (or service manager) assigns a department and a deadline."""
    return await _complaint_command(request, principal, complaint_id, body, lambda c, now: c.assign(
        department=body.department, deadline=body.deadline, by=principal.user_id, now=now))


@router.post("/complaints/{complaint_id}/resolve", response_model=ComplaintPublic, tags=["complaints"])
async def resolve_complaint(complaint_id: str, body: ComplaintResolve, request: Request, principal: ComplaintHandler):
    """Record the remedy agreed with the customer."""
    return await _complaint_command(request, principal, complaint_id, body,
                                    lambda c, now: c.resolve(remedy=body.remedy, now=now))


@router.post("/complaints/{complaint_id}/close", response_model=ComplaintPublic, tags=["complaints"])
async def close_complaint(complaint_id: str, body: ComplaintClose, request: Request, principal: ComplaintHandler):
    """Close the loop: only when the customer confirms (`customer_confirmed: true`)."""
    return await _complaint_command(request, principal, complaint_id, body,
                                    lambda c, now: c.close(customer_confirmed=body.customer_confirmed, now=now))


@router.post("/complaints/{complaint_id}/reopen", response_model=ComplaintPublic, tags=["complaints"])
async def reopen_complaint(complaint_id: str, body: ComplaintReopen, request: Request, principal: ComplaintHandler):
    return await _complaint_command(request, principal, complaint_id, body,
                                    lambda c, now: c.reopen(reason=body.reason, now=now))


# -- call tasks and reminders ----------------------------------------------------------------
class CallTaskPublic(BaseModel):
    id: str
    store_id: str
    kind: str
    customer_id: str
    vehicle_id: str | None
    due_on: date
    detail: str
    status: str
    outcome: str | None
    reason: str | None
    note: str | None
    returned_repair_order_id: str | None
    version: int


class CallTaskDone(Versioned):
    outcome: str = Field(description="reached, no_answer, wrong_number, refused_contact")
    reason: str | None = Field(default=None, max_length=2000, description="Lapsed customers: why they stayed away")
    note: str | None = Field(default=None, max_length=2000)


class ReminderRun(Strict):
    run_date: Day | None = Field(default=None, alias="date",
                                 description="The day to run for; default today by the service clock")
    store_id: str | None = Field(default=None, max_length=64)


@router.get("/call-tasks", response_model=list[CallTaskPublic], tags=["reminders"])
async def list_call_tasks(request: Request, principal: CareReader, store_id: str | None = None,
                          status: str | None = "open", due_on_or_before: date | None = None,
                          kind: str | None = None, customer_id: str | None = None):
    async with unit_of_work(request.app.state.runtime.sessions) as s:
        rows = await care.list_call_tasks(s, principal, store_id=store_id, status=status,
                                          due_on_or_before=due_on_or_before, kind=kind, customer_id=customer_id)
        return [public(CallTaskPublic, r) for r in rows]


@router.post("/call-tasks/{task_id}/outcome", response_model=CallTaskPublic, tags=["reminders"])
async def complete_call_task(task_id: str, body: CallTaskDone, request: Request, principal: CareAgent):
    rt = request.app.state.runtime

    async def handle(s):
        row = await care.complete_call_task(s, rt.outbox, rt.clock, tz(request), principal, task_id,
                                            version=body.version, outcome=body.outcome, reason=body.reason,
                                            note=body.note)
        return 200, public(CallTaskPublic, row)

    return await run_command(request, principal, body, handle)


@router.post("/reminders/run", tags=["reminders"])
async def run_reminders(body: ReminderRun, request: Request, principal: ReminderRunner):
    """Run the daily reminder job for a date (the background loop does this every day by itself).
    Tasks already created for the same reason are not created again."""
    if body.store_id:
        principal.check_store(body.store_id)
    rt = request.app.state.runtime
    day = body.run_date or rt.clock.now().astimezone(tz(request)).date()

    async def handle(s):
        created = await reminders.run_reminders(s, principal.dealer_group_id, day, now=rt.clock.now(),
                                                store_id=body.store_id)
        return 200, {"date": day.isoformat(), "created": len(created), "tasks": created}

    return await run_command(request, principal, body, handle)


# -- reports ---------------------------------------------------------------------------------
@router.get("/reports/follow-ups/weekly", tags=["reports"])
async def weekly_follow_up_report(request: Request, principal: ReportReader,
                                  week_start: Annotated[date | None, Query(description="A Monday")] = None,
                                  store_id: str | None = None):
    """The Monday follow-up report: scheduled, reached, success rate (target ≥ 80%), failures by reason,
    per advisor, for the deliveries of the week. Default: last full week."""
    rt = request.app.state.runtime
    week_start = week_start or last_full_week(rt.clock.now().astimezone(tz(request)).date())
    async with unit_of_work(rt.sessions) as s:
        return await reports.weekly_follow_ups(s, principal, week_start, tz(request), store_id)


@router.get("/reports/monthly", tags=["reports"])
async def monthly_report(request: Request, principal: ReportReader,
                         month: Annotated[str | None, Query(description="YYYY-MM; default last month")] = None,
                         store_id: str | None = None):
    """Due by the 3rd: last month's satisfaction and complaint resolution, severe complaints per visit (≤ 1%)."""
    rt = request.app.state.runtime
    now = rt.clock.now()
    month = month or last_month(now.astimezone(tz(request)).date())
    async with unit_of_work(rt.sessions) as s:
        return await reports.monthly(s, principal, month, tz(request), store_id, now)
