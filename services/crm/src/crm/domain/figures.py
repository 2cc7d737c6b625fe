"""Customer care's figures (KPIs) per store and period, on the figures contract (shared.kit.figures;
docs/kpis.md "## crm" defines each). The same rules as the Monday and monthly reports (domain/reports.py),
so a week's figure and the week's report agree.

- follow_up_success_rate (回访成功率, target ≥ 80%): follow-ups of the period's deliveries that reached the
  customer ÷ all follow-ups of those deliveries (a call still to be made counts against it until made).
- csi (客户满意度): the mean satisfaction score (1-5) of the follow-up calls completed in the period.
- severe_complaint_rate (强烈投诉率, target ≤ 1% of visits): severe complaints opened in the period ÷ vehicles
  delivered in the period.
- overdue_not_returned (逾期未回厂): vehicles whose next service (agreed date or mileage, or the first service
  after sale) fell due and that have not come back, counted at the period's end (today for a period still
  running). lapsed_vehicles (流失): those of them more than 3 months past due, whom customer care calls to
  record why. Both are counts of the vehicle's home store at one moment (`Combine.LATEST`): stores add
  up, periods do not (the figure of a longer period is the one at its end).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from shared.kit.figures import Figure, Granularity, Unit, next_period, period_of, ratio, snapshot

from .reminders import LAPSED_AFTER_MONTHS, Reading, VehicleFacts, add_months, service_due

REACHED = "completed"
SEVERE = "severe"


@dataclass(frozen=True)
class FollowUpFact:
    store_id: str
    delivered_at: datetime
    status: str                       # scheduled / completed / failed
    completed_at: datetime | None = None
    satisfaction: int | None = None


@dataclass(frozen=True)
class ComplaintFact:
    store_id: str
    opened_at: datetime
    severity: str


@dataclass(frozen=True)
class Visit:
    """A delivered repair order: the store it was delivered at, and the next service agreed then."""

    store_id: str
    delivered_at: datetime
    next_service_date: date | None = None
    next_service_km: int | None = None


@dataclass(frozen=True)
class VehicleHistory:
    vehicle_id: str
    store_id: str                     # the vehicle's home store: its reminders are that store's calls
    sale_date: date | None = None
    readings: list[Reading] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)


def due_as_of(v: VehicleHistory, as_of: date, tz: tzinfo) -> date | None:
    """The date the vehicle's next service was due, as things stood at the start of the local day `as_of`."""
    before = [x for x in v.visits if x.delivered_at.astimezone(tz).date() < as_of]
    last = max(before, key=lambda x: x.delivered_at) if before else None
    facts = VehicleFacts(vehicle_id=v.vehicle_id, customer_id="", store_id=v.store_id, sale_date=v.sale_date,
                         readings=[r for r in v.readings if r.read_on < as_of],
                         last_visit_on=last.delivered_at.astimezone(tz).date() if last else None,
                         next_service_date=last.next_service_date if last else None,
                         next_service_km=last.next_service_km if last else None)
    due = service_due(facts)
    return due[1] if due else None


def overdue_counts(vehicles: Iterable[VehicleHistory], as_of: date, tz: tzinfo) -> dict[str, tuple[int, int]]:
    """Per home store: (vehicles overdue and not back, of which lapsed) at the start of `as_of`."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in vehicles:
        due = due_as_of(v, as_of, tz)
        if due is not None and due < as_of:
            out[v.store_id][0] += 1
            out[v.store_id][1] += as_of > add_months(due, LAPSED_AFTER_MONTHS)
    return {s: (n, lapsed) for s, (n, lapsed) in out.items()}


def care_figures(*, stores: list[str], starts: list[date], granularity: Granularity, tz: tzinfo, today: date,
                 follow_ups: Iterable[FollowUpFact], complaints: Iterable[ComplaintFact], visits: Iterable[Visit],
                 vehicles: Iterable[VehicleHistory]) -> list[Figure]:
    n: dict[tuple[str, str, date], int] = defaultdict(int)

    def count(kpi: str, store_id: str, at: datetime, k: int = 1) -> None:
        n[(kpi, store_id, period_of(at, granularity, tz))] += k

    for f in follow_ups:
        count("follow_ups", f.store_id, f.delivered_at)
        count("reached", f.store_id, f.delivered_at, f.status == REACHED)
        if f.status == REACHED and f.completed_at is not None and f.satisfaction is not None:
            count("surveys", f.store_id, f.completed_at)
            count("score", f.store_id, f.completed_at, f.satisfaction)
    for c in complaints:
        count("severe", c.store_id, c.opened_at, c.severity == SEVERE)
    for v in visits:
        count("visits", v.store_id, v.delivered_at)
    vehicles = list(vehicles)
    out: list[Figure] = []
    for start in starts:
        at_end = overdue_counts(vehicles, min(next_period(start, granularity), today), tz)
        for s in stores:
            got = {kpi: n[(kpi, s, start)] for kpi in ("reached", "follow_ups", "score", "surveys", "severe", "visits")}
            overdue, lapsed = at_end.get(s, (0, 0))
            out += [ratio("follow_up_success_rate", s, start, got["reached"], got["follow_ups"]),
                    ratio("csi", s, start, got["score"], got["surveys"], unit=Unit.SCORE),
                    ratio("severe_complaint_rate", s, start, got["severe"], got["visits"]),
                    snapshot("overdue_not_returned", s, start, overdue),
                    snapshot("lapsed_vehicles", s, start, lapsed)]
    return out
