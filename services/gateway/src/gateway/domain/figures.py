"""The group's figures: the services' per-store figures, the figures the gateway derives from two services'
(docs/kpis.md "Derived at the gateway"), and the group's rows (store `*`, shared.kit.figures.combine).

Derived, per store and period, where both halves answered:
- gross_profit (毛利, CNY) = reception's `revenue` − parts' `parts_cost_issued` (cost of the parts issued at
  their moving-average cost, returns deducted);
- gross_margin (毛利率) = gross_profit ÷ revenue, a ratio carrying both, so the group's margin is its gross
  profit over its revenue.
Neither counts labour cost: the platform does not hold wages.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from shared.kit.figures import GROUP, Figure, Unit, combine, ratio, total

CSV_COLUMNS = ("period", "store_id", "kpi", "value", "numerator", "denominator", "unit", "combine")


def derived(figures: Iterable[Figure]) -> list[Figure]:
    """gross_profit and gross_margin of every store and period with both revenue and parts cost."""
    by_key: dict[tuple[str, date], dict[str, Figure]] = defaultdict(dict)
    for f in figures:
        by_key[f.store_id, f.period][f.kpi] = f
    out = []
    for (store_id, period), kpis in sorted(by_key.items()):
        revenue, cost = kpis.get("revenue"), kpis.get("parts_cost_issued")
        if revenue is None or cost is None or revenue.value is None or cost.value is None:
            continue
        profit = revenue.value - cost.value
        out += [total("gross_profit", store_id, period, profit, unit=Unit.CNY),
                ratio("gross_margin", store_id, period, profit, revenue.value)]
    return out


def with_group(figures: list[Figure]) -> list[Figure]:
    """The stores' figures, then the group's (store `*`) of each period: counts and amounts summed, ratios as
    the sum of numerators over the sum of denominators."""
    stores = [f for f in figures if f.store_id != GROUP]
    by_period: dict[date, list[Figure]] = defaultdict(list)
    for f in stores:
        by_period[f.period].append(f)
    return stores + [g for p in sorted(by_period) for g in combine(by_period[p], store_id=GROUP, period=p)]


def _cell(v) -> str:
    return "" if v is None else str(v)


def to_csv(figures: Iterable[Figure]) -> str:
    """One row per store × period × KPI; an empty cell where a ratio had nothing to divide by."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for f in figures:
        w.writerow([f.period.isoformat(), f.store_id, f.kpi, _cell(f.value), _cell(f.numerator),
                    _cell(f.denominator), f.unit, f.combine.value])
    return out.getvalue()
