"""Stock counts (盘点): the daily check of moved items, the monthly count and the quarterly full count with
finance. Every variance (盘盈 / 盘亏) is explained before the count closes; the book is then corrected by an
adjustment entry on the stock card, never by editing it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field
from shared.contracts import parts as ev
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .money import ZERO, money


class CountScope(StrEnum):
    DAILY = "daily"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class CountState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CountLine(BaseModel):
    part_no: str
    book: Decimal
    counted: Decimal | None = None
    explanation: str | None = None

    @property
    def variance(self) -> Decimal:
        return Decimal(0) if self.counted is None else self.counted - self.book


class StockCount(Aggregate):
    kind: ClassVar[str] = "stock_count"
    TRANSITIONS: ClassVar[dict[str, set]] = {"record": {CountState.OPEN}, "close": {CountState.OPEN}}

    scope: CountScope
    lines: list[CountLine] = Field(default_factory=list)
    state: CountState = CountState.OPEN
    finance_witness: str | None = None
    started_by: str
    closed_at: datetime | None = None

    def line(self, part_no: str) -> CountLine:
        for ln in self.lines:
            if ln.part_no == part_no:
                return ln
        raise DomainError(f"part {part_no} is not on this count", field="part_no")

    def record(self, part_no: str, counted: Decimal, explanation: str | None) -> None:
        self.require("record")
        if counted < 0:
            raise DomainError("a counted quantity cannot be negative", field="counted")
        ln = self.line(part_no)
        ln.counted, ln.explanation = counted, explanation or ln.explanation
        self.changed()

    def variances(self) -> list[CountLine]:
        """The lines whose counted quantity differs from the book (盘盈 / 盘亏)."""
        return [ln for ln in self.lines if ln.variance]

    def close(self, *, at: datetime, finance_witness: str | None,
              costs: dict[str, Decimal] | None = None) -> list[CountLine]:
        """Close the count; answers the lines whose variance the book must take as adjustments.

        `costs` are the varying parts' moving-average unit costs: each variance is valued at it (to the fen)."""
        self.require("close")
        uncounted = [ln.part_no for ln in self.lines if ln.counted is None]
        if uncounted:
            raise Conflict(f"not counted yet: {', '.join(uncounted)}", field="lines", parts=uncounted)
        unexplained = [ln.part_no for ln in self.lines if ln.variance and not (ln.explanation or "").strip()]
        if unexplained:
            raise Conflict(f"every variance needs an explanation before the count closes: {', '.join(unexplained)}",
                           field="explanation", parts=unexplained)
        if self.scope is CountScope.QUARTERLY and not finance_witness:
            raise DomainError("the quarterly full count is done with finance: name the finance witness",
                              field="finance_witness")
        self.state, self.closed_at, self.finance_witness = CountState.CLOSED, at, finance_witness
        self.changed()
        variances = self.variances()
        costs = costs or {}
        lines = [ev.CountVariance(part_no=ln.part_no, book=ln.book, counted=ln.counted, variance=ln.variance,
                                  explanation=ln.explanation.strip(), unit_cost=costs.get(ln.part_no, ZERO),
                                  value=money(ln.variance * costs.get(ln.part_no, ZERO))) for ln in variances]
        self.raise_event(ev.StockCountCompletedV2(
            count_id=self.id, scope=self.scope.value, lines_counted=len(self.lines), variances=lines,
            net_value=sum((ln.value for ln in lines), ZERO), finance_witness=finance_witness))
        return variances
