"""Figures (KPIs): each service computes its own from its records; the gateway combines them.

One `Figure` is one KPI of one store for one period: a day, an ISO week (Monday first) or a calendar
month, in the store's local dates. A ratio travels with its numerator and denominator, so a group's
figure, or a longer period's, is the sum of numerators over the sum of denominators, never an
average of ratios (a store with 2 cars would weigh as much as one with 200). A count or an amount
is summed. Every service answers `GET /figures` with a `FiguresAnswer`; docs/kpis.md defines each KPI.
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
    SUM = "sum"
    RATIO = "ratio"


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


EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)
"""Dates a figures query may name: the calendar's ends would overflow a period's bounds (a 500, not a 422)."""


def periods(date_from: date, date_to: date, granularity: Granularity) -> list[date]:
    """The starts of every period from the one holding `date_from` to the one holding `date_to`."""
    for name, d in (("date_from", date_from), ("date_to", date_to)):
        if not EARLIEST <= d <= LATEST:
            raise DomainError(f"{name} {d} is outside {EARLIEST} to {LATEST}", field=name)
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
    unit: str = Field(description="count, CNY, ratio, hours or days")
    combine: Combine = Field(description="How stores and periods combine: summed, or a ratio of sums")


class FiguresAnswer(BaseModel):
    service: str
    granularity: Granularity
    date_from: date
    date_to: date
    figures: list[Figure]


def _q(v: Decimal, places: str) -> Decimal:
    return v.quantize(Decimal(places), ROUND_HALF_UP)


def ratio(kpi: str, store_id: str, period: date, numerator: Decimal | int, denominator: Decimal | int,
          *, unit: str = "ratio", places: str = "0.0001") -> Figure:
    num, den = Decimal(numerator), Decimal(denominator)
    return Figure(kpi=kpi, store_id=store_id, period=period, numerator=num, denominator=den,
                  value=_q(num / den, places) if den else None, unit=unit, combine=Combine.RATIO)


def total(kpi: str, store_id: str, period: date, value: Decimal | int, *, unit: str = "count") -> Figure:
    return Figure(kpi=kpi, store_id=store_id, period=period, value=Decimal(value), unit=unit,
                  combine=Combine.SUM)


def combine(figures: Iterable[Figure], *, store_id: str, period: date) -> list[Figure]:
    """One figure per KPI over `figures` (several stores or periods): sums summed, ratios as the sum of
    numerators over the sum of denominators."""
    by_kpi: dict[str, list[Figure]] = defaultdict(list)
    for f in figures:
        by_kpi[f.kpi].append(f)
    out = []
    for kpi, fs in by_kpi.items():
        first = fs[0]
        if first.combine is Combine.RATIO:
            places = "0.0001" if first.unit == "ratio" else "0.01"
            out.append(ratio(kpi, store_id, period, sum(f.numerator or 0 for f in fs),
                             sum(f.denominator or 0 for f in fs), unit=first.unit, places=places))
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
