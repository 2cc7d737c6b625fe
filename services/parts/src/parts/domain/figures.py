"""The parts room's figures (KPIs) per store and period, on the figures contract (shared.kit.figures;
docs/kpis.md "## parts" defines each). DOMAIN.md: "parts fill rate and stock turnover" are store figures the
parts manager answers for; the cost of the parts issued is what the gateway takes off revenue for the margin.

- parts_fill_rate (一次满足率): requisition lines the stock covered when they were first asked for ÷ lines
  requested, by the day the line was requested. A line counts as covered when the store held its whole
  quantity at that moment (available plus what was already reserved for that repair order); a line that had
  to wait for a purchase counts against the rate even once it is issued.
- parts_cost_issued (出库成本): issues at the moving-average cost they left at, less parts returned to stock
  (at their entry's cost), by the day they moved.
- stock_turnover (库存周转率, turns a year): cost issued ÷ (average stock value × days ÷ 365). The average
  stock value is the mean of the stock's value at the end of each day of the period (each part's balance ×
  the moving-average cost it had then), days still to come left out. Carried as numerator cost issued and
  denominator Σ daily values ÷ 365, so a group or a longer period combines exactly (ratio of sums).
- parts_revenue (配件收入 at list price): what the issued parts sold for on the slip (quantity kept × the
  retail price at issue), by the day the slip was issued; parts later returned on the slip are taken off.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from shared.kit.figures import Figure, Granularity, Unit, next_period, period_of, ratio, total

from .money import ZERO, money, moving_average_cost
from .stock import Movement, Part

DAYS_A_YEAR = Decimal(365)


def _years(value_days: Decimal) -> Decimal:
    """Stock value × days as value × years, to 4 places (the turnover's denominator)."""
    return (value_days / DAYS_A_YEAR).quantize(Decimal("0.0001"), ROUND_HALF_UP)


@dataclass(frozen=True)
class RequestedLine:
    """A requisition line as the fill rate sees it."""

    store_id: str
    requested_at: datetime
    covered: bool


@dataclass(frozen=True)
class SoldLine:
    """An issued slip line as revenue sees it: quantity issued less returned, at the retail price of the issue."""

    store_id: str
    issued_at: datetime
    quantity: Decimal
    unit_price: Decimal


def daily_values(part: Part, tz: tzinfo) -> list[tuple[date, Decimal]]:
    """(local day, the part's stock value at that day's end) for each day its card moved, oldest first; the
    value holds until the next. Replayed the way the card moved: opening sets the cost, receipts average in."""
    out: dict[date, Decimal] = {}
    balance, cost = ZERO, ZERO
    for e in sorted(part.ledger, key=lambda e: e.at):
        if e.movement is Movement.OPENING:
            cost = e.unit_cost
        elif e.movement is Movement.RECEIPT:
            cost = moving_average_cost(balance, cost, e.quantity, e.unit_cost)
        balance = e.balance
        out[e.at.astimezone(tz).date()] = money(balance * cost)  # the day's last entry wins
    return sorted(out.items())


def value_days(changes: list[tuple[date, Decimal]], first: date, last: date) -> Decimal:
    """Σ over the days first..last (both included) of the value at each day's end."""
    if last < first or not changes:
        return ZERO
    days = [d for d, _ in changes]
    i = max(bisect.bisect_right(days, first) - 1, 0)  # the change in force on `first` (or the first one)
    out = ZERO
    for k in range(i, len(changes)):
        day, value = changes[k]
        until = changes[k + 1][0] if k + 1 < len(changes) else last + timedelta(days=1)
        lo, hi = max(day, first), min(until, last + timedelta(days=1))
        if lo >= last + timedelta(days=1):
            break
        if hi > lo:
            out += value * (hi - lo).days
    return out


def cost_issued(part: Part, granularity: Granularity, tz: tzinfo) -> dict[date, Decimal]:
    """Per period: issues at the cost they left at, less returns to stock at theirs; each movement rounded to
    the fen, so days add up to their week exactly."""
    out: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for e in part.ledger:
        if e.movement in (Movement.ISSUE, Movement.RETURN):
            # each movement valued to the fen, as the card books it (an issue's quantity is negative)
            out[period_of(e.at, granularity, tz)] -= money(e.quantity * e.unit_cost)
    return out


def parts_figures(*, stores: list[str], starts: list[date], granularity: Granularity, tz: tzinfo, today: date,
                  parts: Iterable[Part], requested: Iterable[RequestedLine], sold: Iterable[SoldLine]) -> list[Figure]:
    """The four KPIs for every store and period; `today` (local) ends the days the average stock counts."""
    want = set(stores)
    asked: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for ln in requested:
        key = (ln.store_id, period_of(ln.requested_at, granularity, tz))
        asked[key][0] += ln.covered
        asked[key][1] += 1
    revenue: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for ln in sold:
        revenue[(ln.store_id, period_of(ln.issued_at, granularity, tz))] += money(ln.quantity * ln.unit_price)
    cost: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    stock_days: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for p in parts:
        if p.store_id not in want:
            continue
        for start, c in cost_issued(p, granularity, tz).items():
            cost[(p.store_id, start)] += c
        changes = daily_values(p, tz)
        for start in starts:
            last = min(next_period(start, granularity) - timedelta(days=1), today)
            stock_days[(p.store_id, start)] += value_days(changes, start, last)
    out: list[Figure] = []
    for s in stores:
        for start in starts:
            key = (s, start)
            out += [ratio("parts_fill_rate", s, start, *asked.get(key, (0, 0))),
                    total("parts_cost_issued", s, start, money(cost[key]), unit=Unit.CNY),
                    ratio("stock_turnover", s, start, money(cost[key]), _years(stock_days[key]),
                          unit=Unit.TURNS_PER_YEAR),
                    total("parts_revenue", s, start, revenue[key], unit=Unit.CNY)]
    return out
