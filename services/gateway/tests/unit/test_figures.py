"""The group's figures at the gateway: derived gross profit and margin, the group's rows, the CSV."""

import csv
import io
from datetime import date
from decimal import Decimal as D

from gateway.domain.figures import CSV_COLUMNS, derived, to_csv, with_group
from shared.kit.figures import GROUP, ratio, total

WEEK = date(2026, 11, 23)


def store(s, revenue, cost, booked, arrivals):
    return [total("revenue", s, WEEK, D(revenue), unit="CNY"), total("parts_cost_issued", s, WEEK, D(cost), unit="CNY"),
            ratio("booking_rate", s, WEEK, booked, arrivals)]


def by(figs):
    return {(f.store_id, f.kpi): f for f in figs}


def test_gross_margin_is_derived_per_store_and_the_groups_is_its_profit_over_its_revenue():
    figs = store("a", "1000.00", "400.00", 1, 3) + store("b", "3000.00", "2100.00", 2, 2)
    got = by(with_group(figs + derived(figs)))
    assert got["a", "gross_profit"].value == D("600.00") and got["a", "gross_margin"].value == D("0.6000")
    assert got["b", "gross_margin"].value == D("0.3000")  # 900 ÷ 3000
    # the group: (600 + 900) ÷ (1000 + 3000) = 0.375, not the mean of 0.6 and 0.3
    assert (got[GROUP, "gross_profit"].value, got[GROUP, "gross_margin"].value) == (D("1500.00"), D("0.3750"))
    assert got[GROUP, "booking_rate"].value == D("0.6000")  # (1 + 2) ÷ (3 + 2)
    assert got[GROUP, "revenue"].value == D("4000.00")


def test_no_margin_without_the_parts_cost_of_the_store():
    figs = [total("revenue", "a", WEEK, D(100), unit="CNY")]
    assert derived(figs) == []


def test_the_csv_has_one_row_per_store_period_and_kpi_with_an_empty_cell_for_nothing_to_divide():
    figs = with_group(store("a", "10.50", "0", 0, 0))
    rows = list(csv.DictReader(io.StringIO(to_csv(figs))))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(figs) == 6
    br = next(r for r in rows if r["store_id"] == "a" and r["kpi"] == "booking_rate")
    assert (br["value"], br["numerator"], br["denominator"], br["unit"]) == ("", "0", "0", "ratio")
    rev = next(r for r in rows if r["store_id"] == GROUP and r["kpi"] == "revenue")
    assert (rev["period"], rev["value"], rev["unit"], rev["combine"]) == ("2026-11-23", "10.50", "CNY", "sum")


def test_the_groups_overdue_count_of_each_period_is_its_stores_sum_at_that_period():
    from shared.kit.figures import snapshot

    nxt = date(2026, 11, 30)
    figs = [snapshot("overdue_not_returned", s, p, n) for s, p, n in (("a", WEEK, 3), ("b", WEEK, 4),
                                                                       ("a", nxt, 2), ("b", nxt, 4))]
    got = {(f.store_id, f.period): f for f in with_group(figs)}
    assert (got[GROUP, WEEK].value, got[GROUP, nxt].value) == (7, 6)
    assert got[GROUP, WEEK].combine == "latest"
