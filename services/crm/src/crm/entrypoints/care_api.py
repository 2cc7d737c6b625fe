"""Customer care over HTTP: follow-up calls (回访), complaints (工联单), call tasks, reminders, reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from shared.kit import Page
from shared.kit.figures import FiguresAnswer, Granularity
from shared.openapi import links_to

from ..adapters import repository as repo
from ..adapters.orm import CustomerRow, VehicleRow
from ..adapters.repository import Complaints, Customers, FollowUps, Vehicles
from ..service_layer import call_tasks, complaints, figures, follow_ups, reminders, reports
from ..service_layer.commands import (
    AttemptCreate,
    CallTaskDone,
    ComplaintAssign,
    ComplaintClose,
    ComplaintCreate,
    ComplaintReopen,
    ComplaintResolve,
    FollowUpComplete,
    FollowUpFail,
    FollowUpRetry,
    ReminderRun,
)
from . import views
from .deps import (
    CareAgent,
    CareReader,
    ComplaintAssigner,
    ComplaintHandler,
    ComplaintOpener,
    FollowUpRetrier,
    ReminderRunner,
    ReportReader,
)
from .views import CallTaskPublic, ComplaintPublic, FollowUpPublic

router = APIRouter()


# -- follow-ups ------------------------------------------------------------------------------
@router.get("/follow-ups", response_model=list[views.FollowUpToCall], tags=["follow-ups"],
            openapi_extra=links_to("/follow-ups/{follow_up_id}", follow_up_id="0/id"))
async def list_follow_ups(uow: CareReader, page: Page, store_id: str | None = None, status: str | None = None,
                          due_before: datetime | None = None, customer_id: str | None = None,
                          vehicle_id: str | None = None):
    """The follow-up calls of the caller's stores, earliest due first, each with the customer's name and
    phones and the car's plate; each filter given narrows the list."""
    found = await repo.follow_ups(uow, page, store_id=store_id, status=status, due_before=due_before,
                                  customer_id=customer_id, vehicle_id=vehicle_id)
    # Repository.list: the caller's group's records only
    customers = await uow.repo(Customers).list(CustomerRow.id.in_(sorted({f.customer_id for f in found})))
    vehicles = await uow.repo(Vehicles).list(VehicleRow.id.in_(sorted({f.vehicle_id for f in found})))
    return views.follow_ups_to_call(uow, found, {c.id: c for c in customers}, {v.id: v for v in vehicles})


@router.get("/follow-ups/{follow_up_id}", response_model=FollowUpPublic, tags=["follow-ups"])
async def get_follow_up(follow_up_id: str, uow: CareReader):
    return views.follow_up(uow, await uow.repo(FollowUps).get(follow_up_id, lock=False))


@router.post("/follow-ups/{follow_up_id}/attempts", response_model=FollowUpPublic, tags=["follow-ups"])
async def record_attempt(follow_up_id: str, body: AttemptCreate, run: CareAgent):
    """A call that did not complete the follow-up, inside a call window (the customer's, 09:00-11:30 or
    14:00-19:00). A window is one day's slot: after no answer, retry in a window this round has not yet
    tried unanswered (422 on `called_at`). Refused with 409: a call before the follow-up opens (`due_from`,
    1-3 days after pickup, named in the answer) or dated before the last recorded call (`last_called_at`).
    A wrong number, mismatching details or a refusal fail the follow-up (FollowUpFailed, back to the
    advisor)."""
    return await run(follow_ups.record_attempt, body.bind(follow_up_id=follow_up_id), view=views.follow_up)


@router.post("/follow-ups/{follow_up_id}/complete", response_model=FollowUpPublic, tags=["follow-ups"])
async def complete_follow_up(follow_up_id: str, body: FollowUpComplete, run: CareAgent):
    """The customer was reached: satisfaction, answers, comments, optionally a complaint (opens a ticket,
    ComplaintOpened), and the next service date. Not before the follow-up opens: 409 naming `due_from`
    (1-3 days after pickup), nor dated before the last recorded call (409)."""
    return await run(follow_ups.complete_follow_up, body.bind(follow_up_id=follow_up_id), view=views.follow_up)


@router.post("/follow-ups/{follow_up_id}/fail", response_model=FollowUpPublic, tags=["follow-ups"])
async def fail_follow_up(follow_up_id: str, body: FollowUpFail, run: CareAgent):
    """Give up: only for the allowed reasons; no answer needs calls unanswered in at least 3 different
    windows (a window is one day's slot: this morning and tomorrow morning are two)."""
    return await run(follow_ups.fail_follow_up, body.bind(follow_up_id=follow_up_id), view=views.follow_up)


@router.post("/follow-ups/{follow_up_id}/retry", response_model=FollowUpPublic, tags=["follow-ups"])
async def retry_follow_up(follow_up_id: str, body: FollowUpRetry, run: FollowUpRetrier):
    """The advisor corrected the customer's details: call again (a new round of attempts)."""
    return await run(follow_ups.retry_follow_up, body.bind(follow_up_id=follow_up_id), view=views.follow_up)


# -- complaints ------------------------------------------------------------------------------
@router.post("/complaints", status_code=201, response_model=ComplaintPublic, tags=["complaints"],
             openapi_extra=links_to("/complaints/{complaint_id}"))
async def open_complaint(body: ComplaintCreate, run: ComplaintOpener):
    """Open a complaint ticket (工联单). Publishes ComplaintOpened."""
    return await run(complaints.open_complaint, body, view=views.complaint, status=201)


@router.get("/complaints", response_model=list[ComplaintPublic], tags=["complaints"])
async def list_complaints(uow: CareReader, page: Page, store_id: str | None = None, status: str | None = None,
                          overdue: bool | None = None, vehicle_id: str | None = None,
                          closed: Annotated[bool | None, Query(description=(
                              "false: the tickets not yet closed (the customer has not confirmed)"))] = None):
    """The complaint tickets of the caller's stores, oldest first; each filter given narrows the list."""
    found = await repo.complaints(uow, page, store_id=store_id, status=status, overdue=overdue,
                                  vehicle_id=vehicle_id, closed=closed)
    return [views.complaint(uow, c) for c in found]


@router.get("/complaints/{complaint_id}", response_model=ComplaintPublic, tags=["complaints"])
async def get_complaint(complaint_id: str, uow: CareReader):
    return views.complaint(uow, await uow.repo(Complaints).get(complaint_id, lock=False))


@router.post("/complaints/{complaint_id}/assign", response_model=ComplaintPublic, tags=["complaints"])
async def assign_complaint(complaint_id: str, body: ComplaintAssign, run: ComplaintAssigner):
    """The general manager (or service manager) assigns a department and a deadline."""
    return await run(complaints.assign_complaint, body.bind(complaint_id=complaint_id), view=views.complaint)


@router.post("/complaints/{complaint_id}/resolve", response_model=ComplaintPublic, tags=["complaints"])
async def resolve_complaint(complaint_id: str, body: ComplaintResolve, run: ComplaintHandler):
    """Record the remedy agreed with the customer."""
    return await run(complaints.resolve_complaint, body.bind(complaint_id=complaint_id), view=views.complaint)


@router.post("/complaints/{complaint_id}/close", response_model=ComplaintPublic, tags=["complaints"])
async def close_complaint(complaint_id: str, body: ComplaintClose, run: ComplaintHandler):
    """Close the loop (闭环): only a resolved ticket, and only when the customer confirms
    (`customer_confirmed: true`). Otherwise 409 naming `current_state` and a `missing` list (the customer's
    confirmation); the ticket stays as it was."""
    return await run(complaints.close_complaint, body.bind(complaint_id=complaint_id), view=views.complaint)


@router.post("/complaints/{complaint_id}/reopen", response_model=ComplaintPublic, tags=["complaints"])
async def reopen_complaint(complaint_id: str, body: ComplaintReopen, run: ComplaintHandler):
    return await run(complaints.reopen_complaint, body.bind(complaint_id=complaint_id), view=views.complaint)


# -- call tasks and reminders ----------------------------------------------------------------
@router.get("/call-tasks", response_model=list[CallTaskPublic], tags=["reminders"],
            openapi_extra=links_to("/call-tasks/{task_id}", task_id="0/id"))
async def list_call_tasks(uow: CareReader, page: Page, store_id: str | None = None, status: str | None = "open",
                          due_on_or_before: date | None = None, kind: str | None = None,
                          customer_id: str | None = None):
    found = await repo.call_tasks(uow, page, store_id=store_id, status=status, due_on_or_before=due_on_or_before,
                                  kind=kind, customer_id=customer_id)
    return [views.call_task(uow, task) for task in found]


@router.post("/call-tasks/{task_id}/outcome", response_model=CallTaskPublic, tags=["reminders"])
async def complete_call_task(task_id: str, body: CallTaskDone, run: CareAgent):
    return await run(call_tasks.complete_call_task, body.bind(task_id=task_id), view=views.call_task)


@router.post("/reminders/run", tags=["reminders"], response_model=views.ReminderRunPublic)
async def run_reminders(body: ReminderRun, run: ReminderRunner):
    """Run the daily reminder job for a date (the background loop does this every day by itself).
    Tasks already created for the same reason are not created again."""
    return await run(reminders.run_reminders, body)


# -- reports ---------------------------------------------------------------------------------
@router.get("/reports/follow-ups/weekly", tags=["reports"], response_model=views.WeeklyFollowUpReport)
async def weekly_follow_up_report(uow: ReportReader,
                                  week_start: Annotated[date | None, Query(description="A Monday")] = None,
                                  store_id: str | None = None):
    """The Monday follow-up report: scheduled, reached, success rate (target ≥ 80%), failures by reason,
    per advisor, for the deliveries of the week. Default: last full week."""
    return await reports.weekly_follow_ups(uow, week_start, store_id)


@router.get("/figures", tags=["reports"], response_model=FiguresAnswer)
async def care_figures(uow: ReportReader, date_from: date, date_to: date, granularity: Granularity = Granularity.DAY,
                       store_id: Annotated[str | None, Query(max_length=64)] = None):
    """Customer care's KPIs per store and day, week or month (store-local dates): follow_up_success_rate, csi,
    severe_complaint_rate, overdue_not_returned and lapsed_vehicles (counted at each period's end); docs/kpis.md
    "## crm" defines them. Without `store_id`: the caller's stores (a group role: every store with records)."""
    return await figures.figures(uow, date_from, date_to, granularity, store_id)


@router.get("/reports/monthly", tags=["reports"], response_model=views.MonthlyReport)
async def monthly_report(uow: ReportReader,
                         month: Annotated[str | None, Query(description="YYYY-MM; default last month")] = None,
                         store_id: str | None = None):
    """Due by the 3rd: last month's satisfaction and complaint resolution, severe complaints per visit (≤ 1%)."""
    return await reports.monthly(uow, month, store_id)
