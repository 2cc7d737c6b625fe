"""Dispatch recommendation (派工建议): which technician should take a job, and why.

Candidates must have the job's skill and be active. Among them the least loaded (open flat-rate hours
already dispatched to them) wins; a comeback or a diagnosis job goes to the most senior grade first,
because the first-time-fix rate suffers most there; ties go to the lighter load, then the senior.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from shared.errors import DomainError

from .shop import GRADE_RANK, Grade, Technician
from .work_order import Job, WorkOrder


class Candidate(BaseModel):
    technician_id: str
    name: str
    team_id: str
    grade: Grade
    load_hours: Decimal


class Recommendation(BaseModel):
    """The proposed technician, the ranking behind it and the explanation in words."""

    job_id: str
    technician_id: str
    team_id: str
    priority: int
    ranking: list[Candidate]
    explanation: list[str]


def demanding(order: WorkOrder, job: Job) -> bool:
    """A comeback or a diagnosis job wants the most experienced hands."""
    return order.comeback or job.skill == "diagnosis" or job.rework_count > 0


def recommend(order: WorkOrder, job: Job, technicians: list[Technician],
              loads: dict[str, Decimal]) -> Recommendation:
    able = [t for t in technicians if t.active and job.skill in t.skills]
    if not able:
        raise DomainError(f"no active technician has the skill {job.skill} for job {job.job_id}", field="skill")
    senior_first = demanding(order, job)

    def key(t: Technician):
        load = loads.get(t.technician_id, Decimal(0))
        return (GRADE_RANK[t.grade], load) if senior_first else (load, GRADE_RANK[t.grade])

    ranked = sorted(able, key=lambda t: (*key(t), t.technician_id))
    best = ranked[0]
    return Recommendation(
        job_id=job.job_id, technician_id=best.technician_id, team_id=best.team_id, priority=order.priority,
        ranking=[Candidate(technician_id=t.technician_id, name=t.name, team_id=t.team_id, grade=t.grade,
                           load_hours=loads.get(t.technician_id, Decimal(0))) for t in ranked],
        explanation=explain(order, job, best, loads, len(technicians) - len(able), senior_first))


def explain(order: WorkOrder, job: Job, best: Technician, loads: dict[str, Decimal], unskilled: int,
            senior_first: bool) -> list[str]:
    why = [f"priority {order.priority}: " + ("comeback (返修)" if order.comeback else
                                            "customer waiting" if order.waiting_customer else "normal")
           + f", promised {order.promised_at.isoformat()}",
           f"needs skill {job.skill}; {best.name} has it"
           + (f" ({unskilled} technician(s) without it left out)" if unskilled else "")]
    if senior_first:
        why.append(f"{'comeback' if order.comeback else 'diagnosis or rework'}: senior grade first; "
                   f"{best.name} is {best.grade.value}")
    why.append(f"{best.name} has {loads.get(best.technician_id, Decimal(0))} h of open work, "
               "the lightest load among those ranked equal")
    return why


def validate_choice(job: Job, tech: Technician) -> None:
    """The supervisor may overrule the proposal, not the skill rule."""
    if not tech.active:
        raise DomainError(f"technician {tech.technician_id} is not active", field="technician_id")
    if job.skill not in tech.skills:
        raise DomainError(f"technician {tech.technician_id} lacks the skill {job.skill} job {job.job_id} needs",
                          field="technician_id", skill=job.skill)


def queue_order(order: WorkOrder) -> tuple:
    """Which order goes first on the board: comeback, waiting customer, then the earliest promise."""
    return (-order.priority, order.promised_at)


def technician_loads(orders: list[WorkOrder], now) -> dict[str, Decimal]:
    """Open flat-rate hours dispatched to each technician (not yet completed)."""
    loads: dict[str, Decimal] = {}
    for o in orders:
        for j in o.jobs:
            if j.technician_id and j.state.value in ("dispatched", "in_progress", "paused", "rework"):
                loads[j.technician_id] = loads.get(j.technician_id, Decimal(0)) + j.remaining_hours(now)
    return {k: v.quantize(Decimal("0.01")) for k, v in loads.items()}
