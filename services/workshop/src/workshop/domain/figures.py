"""The workshop's figures: technician efficiency (billed ÷ clocked) and the first-time-fix rate (一次修复率)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from .work_order import JobState, WorkOrder


def efficiency(billed: Decimal, clocked: Decimal) -> Decimal | None:
    """Billed (flat-rate) hours ÷ clocked hours; None while nothing is clocked."""
    if clocked <= 0:
        return None
    return (billed / clocked).quantize(Decimal("0.01"))


def rate(good: int, total: int) -> Decimal | None:
    return (Decimal(good) / Decimal(total)).quantize(Decimal("0.0001")) if total else None


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


def figures(orders: list[WorkOrder], now: datetime) -> dict[str, dict[str, Figures]]:
    """By technician, by team and for the store: jobs that passed final inspection, how many without
    rework, their billed and clocked hours."""
    out: dict[str, dict[str, Figures]] = {"technicians": {}, "teams": {}, "store": {}}

    def get(kind: str, key: str) -> Figures:
        return out[kind].setdefault(key, Figures(key=key))

    for o in orders:
        for j in o.jobs:
            if j.state is not JobState.PASSED:
                continue
            targets = [get("store", o.store_id), get("technicians", j.technician_id or "-"),
                       get("teams", j.team_id or "-")]
            for f in targets:
                f.jobs_finished += 1
                f.first_time_fixed += int(j.rework_count == 0)
                f.reworks += j.rework_count
                f.billed_hours += j.flat_rate_hours
                f.clocked_hours += j.clocked_hours(now)
    return out
