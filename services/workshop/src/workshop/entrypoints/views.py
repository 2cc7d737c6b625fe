"""What workshop's routes answer: response models and `(uow, aggregate) -> model` views."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field
from shared.contracts.workshop import InspectionStage
from shared.kit import UnitOfWork

from ..domain.catalogue import LabourOperation
from ..domain.dispatch import queue_order
from ..domain.figures import Figures
from ..domain.shop import CAPACITY_DAYS, DayCapacity, Shop
from ..domain.work_order import Job, PauseReason, WorkOrder
from ..service_layer.shop import today


class JobPublic(Job):
    clocked: Decimal = Field(description="Hours clocked on the job so far")
    next_check: InspectionStage | None = Field(description="The check due next once completed")
    parts_not_issued: list[str]


class WorkOrderPublic(WorkOrder):
    """The workshop's side of a repair order, with each job's clocked hours and what it waits for."""

    jobs: list[JobPublic]
    queue_priority: int = Field(description="2 comeback, 1 customer waiting, 0 otherwise")
    eta: datetime = Field(description="Estimated finish from the remaining flat-rate hours")


def work_order(uow: UnitOfWork, wo: WorkOrder) -> WorkOrderPublic:
    now = uow.now()
    jobs = [JobPublic(**j.model_dump(), clocked=j.clocked_hours(now), next_check=j.next_stage(),
                      parts_not_issued=j.outstanding_parts()) for j in wo.jobs]
    return WorkOrderPublic(**{**wo.model_dump(), "jobs": jobs}, queue_priority=wo.priority,
                           eta=wo.estimated_finish(now))


class ShopPublic(Shop):
    """The store's workshop and its capacity for the coming two weeks, as published."""

    coming_days: list[DayCapacity] = Field(description="Capacity of the coming two weeks")


def shop(uow: UnitOfWork, s: Shop) -> ShopPublic:
    first = today(uow)
    return ShopPublic(**s.model_dump(), coming_days=[s.capacity(first + timedelta(days=n))
                                                  for n in range(CAPACITY_DAYS)])


def operation(uow: UnitOfWork, op: LabourOperation) -> LabourOperation:
    return op


class BoardJob(BaseModel):
    job_id: str
    description: str
    skill: str
    state: str
    technician_id: str | None
    team_id: str | None
    flat_rate_hours: Decimal
    clocked_hours: Decimal
    waiting_for: str | None = Field(description="Why a paused job waits; parts not issued (as one line of text)")
    pause_reason: PauseReason | None = Field(None, description="Why the job is paused, when it is")
    pause_note: str | None = None
    parts_not_issued: list[str] = Field(default_factory=list, description="Part numbers requested, not yet issued")
    next_check: InspectionStage | None
    rework_count: int


class BoardOrder(BaseModel):
    repair_order_id: str
    number: str
    state: str
    priority: int
    promised_at: datetime
    estimated_finish: datetime
    delayed: bool
    wash_requested: bool
    washed: bool
    pending_findings: int
    jobs: list[BoardJob]


class Board(BaseModel):
    """The workshop board (车间看板): every open repair order of the store, most urgent first."""

    store_id: str
    at: datetime
    orders: list[BoardOrder]


def _board_job(j: Job, now: datetime) -> BoardJob:
    waits = [j.pause_reason.value + (f": {j.pause_note}" if j.pause_note else "")] if j.pause_reason else []
    if j.outstanding_parts():
        waits.append("parts not issued: " + ", ".join(j.outstanding_parts()))
    return BoardJob(job_id=j.job_id, description=j.description, skill=j.skill, state=j.state.value,
                    technician_id=j.technician_id, team_id=j.team_id, flat_rate_hours=j.flat_rate_hours,
                    clocked_hours=j.clocked_hours(now), waiting_for="; ".join(waits) or None,
                    pause_reason=j.pause_reason, pause_note=j.pause_note, parts_not_issued=j.outstanding_parts(),
                    next_check=j.next_stage() if j.state.value == "completed" else None,
                    rework_count=j.rework_count)


def board(store_id: str, orders: list[WorkOrder], now: datetime) -> Board:
    rows = []
    for o in sorted(orders, key=queue_order):
        eta = o.estimated_finish(now)
        rows.append(BoardOrder(
            repair_order_id=o.id, number=o.number, state=o.state.value, priority=o.priority,
            promised_at=o.promised_at, estimated_finish=eta, delayed=eta > o.promised_at,
            wash_requested=o.wash_requested, washed=o.washed,
            pending_findings=sum(1 for f in o.findings if f.status == "pending"),
            jobs=[_board_job(j, now) for j in o.jobs]))
    return Board(store_id=store_id, at=now, orders=rows)


class FiguresRow(BaseModel):
    key: str
    jobs_finished: int
    first_time_fixed: int
    reworks: int
    first_time_fix_rate: Decimal | None
    billed_hours: Decimal
    clocked_hours: Decimal
    efficiency: Decimal | None = Field(description="Billed ÷ clocked hours")


class FiguresPublic(BaseModel):
    """First-time-fix rate (一次修复率) and efficiency per technician, team and the store."""

    store_id: str
    date_from: date
    date_to: date
    technicians: list[FiguresRow]
    teams: list[FiguresRow]
    store: list[FiguresRow]


def figures_row(f: Figures) -> FiguresRow:
    return FiguresRow(key=f.key, jobs_finished=f.jobs_finished, first_time_fixed=f.first_time_fixed,
                      reworks=f.reworks, first_time_fix_rate=f.first_time_fix_rate,
                      billed_hours=f.billed_hours.quantize(Decimal("0.01")),
                      clocked_hours=f.clocked_hours.quantize(Decimal("0.01")), efficiency=f.efficiency)
