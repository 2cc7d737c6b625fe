"""The parts room's figures for a store over a period: first-time fill rate and stock turnover (DOMAIN.md:
"parts fill rate and stock turnover" are store figures the parts manager answers for).

- Fill rate (一次满足率) = requested lines the stock covered when they were first asked for ÷ all lines
  requested. A line counts as covered when the store held its whole quantity at that moment (what was
  available plus what was already reserved for that repair order); a line that had to wait for a purchase
  counts against the rate even once it is issued.
- Turnover (库存周转率) = cost of the parts issued in the period ÷ the average stock value. The cost of issues is
  each issue entry at the moving-average cost it left at, less the parts returned to stock (at their entry's
  cost); the average stock value is (value at the start + value at the end) ÷ 2, each valued at the
  moving-average cost the stock card had then. Annualised: × 365 ÷ the period's days.

Money is rounded half-up to the fen; the rates to 4 places (fill rate as a fraction, turnover in turns).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

from .money import ZERO, money, moving_average_cost
from .stock import Movement, Part

RATE = Decimal("0.0001")


def _rate(x: Decimal) -> Decimal:
    return x.quantize(RATE, rounding=ROUND_HALF_UP)


def fill_rate(covered_at_request: Iterable[bool]) -> tuple[int, int, Decimal | None]:
    """(lines covered at first request, lines requested, rate); no lines requested → no rate."""
    flags = list(covered_at_request)
    filled = sum(1 for f in flags if f)
    return filled, len(flags), (_rate(Decimal(filled) / len(flags)) if flags else None)


def stock_value_at(part: Part, at: datetime) -> Decimal:
    """The part's stock value just before `at`: the balance then × the moving-average cost then, replayed from
    its stock card the way the card moved (opening sets the cost, receipts average it in)."""
    balance, cost = ZERO, ZERO
    for e in part.ledger:
        if e.at >= at:
            break
        if e.movement is Movement.OPENING:
            cost = e.unit_cost
        elif e.movement is Movement.RECEIPT:
            cost = moving_average_cost(balance, cost, e.quantity, e.unit_cost)
        balance = e.balance
    return money(balance * cost)


def cost_of_issues(part: Part, start: datetime, end: datetime) -> Decimal:
    """Issues in [start, end) at the cost they left at, less returns to stock in the same period."""
    total = ZERO
    for e in part.ledger:
        if start <= e.at < end and e.movement in (Movement.ISSUE, Movement.RETURN):
            total -= e.quantity * e.unit_cost  # an issue's quantity is negative, a return's positive
    return money(total)


class StoreFigures(BaseModel):
    """A store's fill rate and stock turnover over a period (both ends included)."""

    store_id: str
    period_start: date
    period_end: date
    days: int
    lines_requested: int
    lines_filled_at_first_request: int
    fill_rate: Decimal | None
    cost_of_issues: Decimal
    opening_stock_value: Decimal
    closing_stock_value: Decimal
    average_stock_value: Decimal
    turnover: Decimal | None
    annualised_turnover: Decimal | None


def store_figures(*, store_id: str, parts: Iterable[Part], covered_at_request: Iterable[bool],
                  period_start: date, period_end: date, start: datetime, end: datetime) -> StoreFigures:
    """The figures from the store's stock cards and the lines requested in the period ([start, end) in time)."""
    parts = list(parts)
    filled, requested, rate = fill_rate(covered_at_request)
    issued = sum((cost_of_issues(p, start, end) for p in parts), ZERO)
    opening = sum((stock_value_at(p, start) for p in parts), ZERO)
    closing = sum((stock_value_at(p, end) for p in parts), ZERO)
    average = money((opening + closing) / 2)
    days = (period_end - period_start).days + 1
    turns = _rate(issued / average) if average > 0 else None
    return StoreFigures(store_id=store_id, period_start=period_start, period_end=period_end, days=days,
                        lines_requested=requested, lines_filled_at_first_request=filled, fill_rate=rate,
                        cost_of_issues=issued, opening_stock_value=opening, closing_stock_value=closing,
                        average_stock_value=average, turnover=turns,
                        annualised_turnover=None if turns is None else _rate(turns * 365 / days))
