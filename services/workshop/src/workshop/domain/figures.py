"""The workshop's figures (docs/kpis.md "workshop"): first-time fix (一次修复率), the pass rates of the three
checks (三检; the final one is 终检合格率) and technician efficiency (billed ÷ clocked hours).

A job counts in the period its final inspection passed (the store's local day): first-time fixed when it
never went back for rework (返工), and its flat-rate (billed) hours over the hours clocked on it, rework
included, make the efficiency. A check counts in the period it was recorded, passed or failed: a job failing
its final inspection once and then passing is two final inspections, one passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal

from pydantic import BaseModel
from shared.contracts.workshop import InspectionStage
from shared.kit.figures import Figure, Granularity, period_of, ratio

from .work_order import Job, JobState, WorkOrder

CHECK_KPIS = {InspectionStage.SELF: "self_check_pass_rate", InspectionStage.TEAM_LEADER: "team_leader_check_pass_rate",
              InspectionStage.FINAL: "final_inspection_pass_rate"}
KPIS = ("first_time_fix_rate", *CHECK_KPIS.values(), "technician_efficiency")
"""The workshop's figures, in the order it answers them."""


def efficiency(billed: Decimal, clocked: Decimal) -> Decimal | None:
    """Billed (flat-rate) hours ÷ clocked hours; None while nothing is clocked."""
    if clocked <= 0:
        return None
    return (billed / clocked).quantize(Decimal("0.01"))


def rate(good: int, total: int) -> Decimal | None:
    return (Decimal(good) / Decimal(total)).quantize(Decimal("0.0001")) if total else None


def final_passed_at(job: Job) -> datetime | None:
    """When the job passed its final inspection; None until it has."""
    if job.state is not JobState.PASSED:
        return None
    return next((c.at for c in reversed(job.checks) if c.stage is InspectionStage.FINAL and c.passed), None)


class Figures(BaseModel):
    """Figures of one technician, team or the store."""

    key: str
    jobs_finished: int = 0
    first_time_fixed: int = 0
    reworks: int = 0
    billed_hours: Decimal = Decimal(0)
    clocked_hours: Decimal = Decimal(0)

    @property
    def first_time_fix_rate(self) -> Decimal | None:
        return rate(self.first_time_fixed, self.jobs_finished)

    @property
    def efficiency(self) -> Decimal | None:
        return efficiency(self.billed_hours, self.clocked_hours)

    def add(self, job: Job, now: datetime) -> None:
        """A job that passed its final inspection."""
        self.jobs_finished += 1
        self.first_time_fixed += int(job.rework_count == 0)
        self.reworks += job.rework_count
        self.billed_hours += job.flat_rate_hours
        self.clocked_hours += job.clocked_hours(now)


def figures(orders: list[WorkOrder], now: datetime, start: datetime | None = None,
            end: datetime | None = None) -> dict[str, dict[str, Figures]]:
    """By technician, by team and for the store: jobs whose final inspection passed in [start, end), how many
    without rework, their billed and clocked hours."""
    out: dict[str, dict[str, Figures]] = {"technicians": {}, "teams": {}, "store": {}}

    def get(kind: str, key: str) -> Figures:
        return out[kind].setdefault(key, Figures(key=key))

    for o in orders:
        for j in o.jobs:
            at = final_passed_at(j)
            if at is None or (start is not None and at < start) or (end is not None and at >= end):
                continue
            for f in (get("store", o.store_id), get("technicians", j.technician_id or "-"),
                      get("teams", j.team_id or "-")):
                f.add(j, now)
    return out


@dataclass
class Tally:
    """One store's jobs and checks over one period."""

    jobs: Figures = field(default_factory=lambda: Figures(key=""))
    checks_done: dict[InspectionStage, int] = field(default_factory=dict)
    checks_passed: dict[InspectionStage, int] = field(default_factory=dict)

    def check(self, stage: InspectionStage, passed: bool) -> None:
        self.checks_done[stage] = self.checks_done.get(stage, 0) + 1
        self.checks_passed[stage] = self.checks_passed.get(stage, 0) + int(passed)


def tally(orders: Iterable[WorkOrder], *, stores: Iterable[str], periods: list[date], granularity: Granularity,
          tz: tzinfo, now: datetime) -> dict[tuple[str, date], Tally]:
    """Every (store, period) of `stores` (and of the orders) × `periods`, empty where nothing happened."""
    out = {(s, p): Tally() for s in stores for p in periods}
    wanted = set(periods)

    def at(store_id: str, when: datetime) -> Tally | None:
        p = period_of(when, granularity, tz)
        return out.setdefault((store_id, p), Tally()) if p in wanted else None

    for o in orders:
        for j in o.jobs:
            for c in j.checks:
                if t := at(o.store_id, c.at):
                    t.check(c.stage, c.passed)
            passed = final_passed_at(j)
            if passed is not None and (t := at(o.store_id, passed)):
                t.jobs.add(j, now)
    return out


def figures_of(store_id: str, period: date, t: Tally) -> list[Figure]:
    """The workshop's figures of one store and period (the order of KPIS)."""
    return [
        ratio("first_time_fix_rate", store_id, period, t.jobs.first_time_fixed, t.jobs.jobs_finished),
        *(ratio(kpi, store_id, period, t.checks_passed.get(stage, 0), t.checks_done.get(stage, 0))
          for stage, kpi in CHECK_KPIS.items()),
        ratio("technician_efficiency", store_id, period, t.jobs.billed_hours, t.jobs.clocked_hours),
    ]


def store_figures(orders: Iterable[WorkOrder], *, stores: Iterable[str], periods: list[date],
                  granularity: Granularity, tz: tzinfo, now: datetime) -> list[Figure]:
    """The workshop's figures of every store and period, by store, then period, then KPI."""
    tallies = tally(orders, stores=stores, periods=periods, granularity=granularity, tz=tz, now=now)
    return [f for (s, p), t in sorted(tallies.items()) for f in figures_of(s, p, t)]
