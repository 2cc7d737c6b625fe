"""reception's figures (docs/kpis.md "reception"), per store and per period, from its repair orders.

Two dates place an order in a period, both the store's local calendar day:
- the day it was opened (the customer signed, 开单): vehicles in (进厂台次), booking rate (预约率) and
  comeback rate (返修率) count orders opened in the period, cancelled ones aside (no work was done);
- the day it was invoiced (结算): the revenue figures (营业额, 工时收入, 配件收入, by pay type) and revenue
  per vehicle (单台产值) add the settlement sheet's lines of orders invoiced in the period.

Revenue is net of VAT (the sheet's lines; VAT is the tax office's, not the store's). The first scheduled
service free to the customer (首保) is a negative customer line: `revenue` and `revenue_customer` are net of
it, `revenue_labour` and `revenue_parts` are not, and `first_service_discount` shows it, so
revenue = labour + parts + materials − first-service discount = customer + warranty + insurance + internal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal

from shared.contracts.common import PayType
from shared.kit.figures import Figure, Granularity, Unit, period_of, ratio, total

from .pricing import LineKind
from .repair_order import RepairOrder, RoState

CNY = Unit.CNY
KPIS = ("vehicles_in", "booking_rate", "comeback_rate", "revenue", "revenue_labour", "revenue_parts",
        "revenue_materials", "first_service_discount", *(f"revenue_{p.value}" for p in PayType),
        "revenue_per_vehicle")
"""reception's figures, in the order it answers them."""


@dataclass
class Tally:
    """One store's counts and amounts over one period."""

    opened: int = 0
    booked: int = 0
    comebacks: int = 0
    invoiced: int = 0
    by_kind: dict[LineKind, Decimal] = field(default_factory=dict)
    by_pay_type: dict[PayType, Decimal] = field(default_factory=dict)

    @property
    def revenue(self) -> Decimal:
        return sum(self.by_pay_type.values(), Decimal("0.00"))

    def amount(self, kind: LineKind) -> Decimal:
        return self.by_kind.get(kind, Decimal("0.00"))


def tally(orders: Iterable[RepairOrder], *, stores: Iterable[str], periods: list[date], granularity: Granularity,
          tz: tzinfo) -> dict[tuple[str, date], Tally]:
    """Every (store, period) of `stores` (and of the orders) × `periods`, zero where nothing happened."""
    out = {(s, p): Tally() for s in stores for p in periods}
    wanted = set(periods)

    def at(store_id: str, when: datetime) -> Tally | None:
        p = period_of(when, granularity, tz)
        if p not in wanted:
            return None
        return out.setdefault((store_id, p), Tally())

    for o in orders:
        if o.opened_at is not None and o.state is not RoState.CANCELLED and (t := at(o.store_id, o.opened_at)):
            t.opened += 1
            t.booked += o.appointment_id is not None
            t.comebacks += o.comeback_of is not None
        if o.invoiced_at is not None and o.settlement is not None and (t := at(o.store_id, o.invoiced_at)):
            t.invoiced += 1
            for line in o.settlement.lines:
                t.by_kind[line.kind] = t.amount(line.kind) + line.amount
                t.by_pay_type[line.pay_type] = t.by_pay_type.get(line.pay_type, Decimal("0.00")) + line.amount
    return out


def figures_of(store_id: str, period: date, t: Tally) -> list[Figure]:
    """reception's figures of one store and period (the order of KPIS)."""
    return [
        total("vehicles_in", store_id, period, t.opened),
        ratio("booking_rate", store_id, period, t.booked, t.opened),
        ratio("comeback_rate", store_id, period, t.comebacks, t.opened),
        total("revenue", store_id, period, t.revenue, unit=CNY),
        total("revenue_labour", store_id, period, t.amount(LineKind.LABOUR), unit=CNY),
        total("revenue_parts", store_id, period, t.amount(LineKind.PART), unit=CNY),
        total("revenue_materials", store_id, period, t.amount(LineKind.MATERIAL), unit=CNY),
        total("first_service_discount", store_id, period, -t.amount(LineKind.FIRST_SERVICE_FREE), unit=CNY),
        *(total(f"revenue_{p.value}", store_id, period, t.by_pay_type.get(p, Decimal("0.00")), unit=CNY)
          for p in PayType),
        ratio("revenue_per_vehicle", store_id, period, t.revenue, t.invoiced, unit=CNY),
    ]


def figures(orders: Iterable[RepairOrder], *, stores: Iterable[str], periods: list[date],
            granularity: Granularity, tz: tzinfo) -> list[Figure]:
    """reception's figures of every store and period, by store, then period, then KPI."""
    tallies = tally(orders, stores=stores, periods=periods, granularity=granularity, tz=tz)
    return [f for (s, p), t in sorted(tallies.items()) for f in figures_of(s, p, t)]
