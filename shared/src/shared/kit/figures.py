"""Figures (KPIs): each service computes its own from its records; the gateway combines them.

One `Figure` is one KPI of one store for one period: a day, an ISO week (Monday first) or a calendar
month, in the store's local dates. A ratio travels with its numerator and denominator, so a group's
figure, or a longer period's, is the sum of numerators over the sum of denominators, never an
average of ratios (a store with 2 cars would weigh as much as one with 200). A count or an amount
is summed. A state at one moment (vehicles overdue at the period's end: `Combine.LATEST`) is summed over
stores, but a longer period's is its last period's, not the sum of its days. Every service answers
`GET /figures` with a `FiguresAnswer`; docs/kpis.md defines each KPI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from ..auth import Principal
from ..errors import DomainError

GROUP = "*"
"""`store_id` of a figure combined over every store the caller may see."""

MAX_PERIODS = 400
"""A figures query spans at most this many periods (about a year of days)."""


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Combine(StrEnum):
    """How a KPI's figures of several stores or periods make one (`combine`)."""

    SUM = "sum"
    """Counts and amounts of what happened: summed over stores and periods."""
    RATIO = "ratio"
    """The sum of the numerators over the sum of the denominators."""
    LATEST = "latest"
    """A state at the period's end (what stands, not what happened): stores summed, a longer period taking
    its last period's value, never a sum of periods (100 cars overdue each day of a week are 100, not 700)."""


class Unit(StrEnum):
    """What a figure's value counts."""

    COUNT = "count"
    CNY = "CNY"
    RATIO = "ratio"
    TURNS_PER_YEAR = "turns/year"
    SCORE = "score"
    """A mean satisfaction score, 1 to 5."""


PLACES = {Unit.COUNT: "0.01", Unit.CNY: "0.01", Unit.RATIO: "0.0001", Unit.TURNS_PER_YEAR: "0.01",
          Unit.SCORE: "0.01"}
"""A ratio's value is rounded to these places by its unit: to the fen in CNY, 4 places as a bare ratio, 2
otherwise (a count over a count, e.g. per vehicle). Sums are not rounded: services give amounts in fen."""


def period_start(d: date, granularity: Granularity) -> date:
    """The first day of the period `d` falls in."""
    if granularity is Granularity.DAY:
        return d
    if granularity is Granularity.WEEK:
        return d - timedelta(days=d.weekday())
    return d.replace(day=1)


def next_period(start: date, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return start + timedelta(days=1)
    if granularity is Granularity.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
"""Dates a figures query may name: the calendar's ends would overflow a period's bounds (a 500, not a 422)."""


def periods(date_from: date, date_to: date, granularity: Granularity) -> list[date]:
    """The starts of every period from the one holding `date_from` to the one holding `date_to`."""
    for name, d in (("date_from", date_from), ("date_to", date_to)):
        if not FIRST_DAY <= d <= LAST_DAY:
            raise DomainError(f"{name} {d} is outside {FIRST_DAY} to {LAST_DAY}", field=name)
    if date_to < date_from:
        raise DomainError(f"date_to {date_to} is before date_from {date_from}", field="date_to")
    out, p = [], period_start(date_from, granularity)
    while p <= date_to:
        out.append(p)
        if len(out) > MAX_PERIODS:
            raise DomainError(f"more than {MAX_PERIODS} {granularity.value}s asked: choose a coarser "
                              "granularity or a shorter span", field="granularity")
        p = next_period(p, granularity)
    return out


class Figure(BaseModel):
    kpi: str = Field(description="The KPI's name (docs/kpis.md), e.g. first_time_fix_rate")
    store_id: str = Field(description=f"The store; {GROUP!r} for the caller's stores combined")
    period: date = Field(description="First day of the day, week (Monday) or month")
    value: Decimal | None = Field(description="The figure; null for a ratio with nothing to divide by")
    numerator: Decimal | None = Field(default=None, description="A ratio's numerator (null for a sum)")
    denominator: Decimal | None = Field(default=None, description="A ratio's denominator (null for a sum)")
    unit: Unit = Field(description="count; CNY (net of VAT); ratio; turns/year (stock turnover); score (1-5)")
    combine: Combine = Field(description="How stores and periods combine: sum (summed), ratio (a ratio of sums) "
                             "or latest (stores summed, a longer period takes its last period's value)")


class FiguresAnswer(BaseModel):
    service: str
    granularity: Granularity
    date_from: date
    date_to: date
    figures: list[Figure]


def _q(v: Decimal, places: str) -> Decimal:
    return v.quantize(Decimal(places), ROUND_HALF_UP)


def ratio(kpi: str, store_id: str, period: date, numerator: Decimal | int, denominator: Decimal | int,
          *, unit: Unit = Unit.RATIO, places: str | None = None) -> Figure:
    """A ratio carrying its numerator and denominator; its value rounded to `places` (default: its unit's)."""
    num, den = Decimal(numerator), Decimal(denominator)
    value = _q(num / den, places or PLACES[Unit(unit)]) if den else None
    return Figure(kpi=kpi, store_id=store_id, period=period, numerator=num, denominator=den, value=value,
                  unit=unit, combine=Combine.RATIO)


def total(kpi: str, store_id: str, period: date, value: Decimal | int, *, unit: Unit = Unit.COUNT) -> Figure:
    """A count or an amount of what happened in the period: summed over stores and periods."""
    return Figure(kpi=kpi, store_id=store_id, period=period, value=Decimal(value), unit=unit,
                  combine=Combine.SUM)


def snapshot(kpi: str, store_id: str, period: date, value: Decimal | int, *, unit: Unit = Unit.COUNT) -> Figure:
    """A state at the period's end (e.g. vehicles overdue then): summed over stores, not over periods."""
    return Figure(kpi=kpi, store_id=store_id, period=period, value=Decimal(value), unit=unit,
                  combine=Combine.LATEST)


def combine(figures: Iterable[Figure], *, store_id: str, period: date) -> list[Figure]:
    """One figure per KPI over `figures` (several stores, several periods, or both): sums summed, ratios as the
    sum of numerators over the sum of denominators, states at a moment as the sum of the stores' figures of
    the latest period among them."""
    by_kpi: dict[str, list[Figure]] = defaultdict(list)
    for f in figures:
        by_kpi[f.kpi].append(f)
    out = []
    for kpi, fs in by_kpi.items():
        first = fs[0]
        if first.combine is Combine.RATIO:
            out.append(ratio(kpi, store_id, period, sum(f.numerator or 0 for f in fs),
                             sum(f.denominator or 0 for f in fs), unit=first.unit))
        elif first.combine is Combine.LATEST:
            last = max(f.period for f in fs)
            out.append(snapshot(kpi, store_id, period, sum(f.value or 0 for f in fs if f.period == last),
                                unit=first.unit))
        else:
            out.append(total(kpi, store_id, period, sum(f.value or 0 for f in fs), unit=first.unit))
    return out


# -- what every service's figures query shares --------------------------------------------------------
DEFAULT_TZ = "Asia/Shanghai"


def store_zone(settings: object) -> ZoneInfo:
    """The stores' time zone: the service's `timezone` setting, else China's (until stores carry their own)."""
    return ZoneInfo(getattr(settings, "timezone", None) or DEFAULT_TZ)


def local_start(day: date, tz: tzinfo) -> datetime:
    """The instant a local day begins (periods are local dates; records carry instants)."""
    return datetime.combine(day, time(), tzinfo=tz)


def span(starts: list[date], granularity: Granularity, tz: tzinfo) -> tuple[datetime, datetime]:
    """[from, to) in instants: the first period's first moment to the moment after the last period."""
    return local_start(starts[0], tz), local_start(next_period(starts[-1], granularity), tz)


def period_of(at: datetime, granularity: Granularity, tz: tzinfo) -> date:
    """The start of the period the instant `at` falls in, by the store's local date."""
    return period_start(at.astimezone(tz).date(), granularity)


def stores_in_scope(actor: Principal, store_id: str | None, seen: Iterable[str]) -> list[str]:
    """The stores a figures answer covers: the one asked for (403 outside the caller's stores); else a store
    user's own stores; else, for a group role, every store the service has records of."""
    if store_id:
        actor.check_store(store_id)
        return [store_id]
    if actor.spans_group:
        return sorted(set(seen))
    return sorted(actor.store_ids)
