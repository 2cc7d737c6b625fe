"""Fill rate and stock turnover: the store figures the parts manager answers for."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from parts.domain.figures import cost_of_issues, fill_rate, stock_value_at, store_figures
from parts.domain.stock import Part

SH = ZoneInfo("Asia/Shanghai")
DAY1 = datetime(2026, 11, 1, tzinfo=SH)


def card() -> Part:
    """10 opened at 10.00; 4 issued; 10 received at 13.00 (average (6×10 + 10×13) ÷ 16 = 11.875); 6 issued;
    1 returned."""
    p = Part(id="s1:P1", dealer_group_id="dg", store_id="s1", part_no="P1", name="pad", retail_price=D(30),
             bin_id="b", bin_code="A-1-1-1")
    p.open_stock(D(10), D("10.00"), at=DAY1 - timedelta(days=5), by="c")
    p.issue(D(4), at=DAY1 + timedelta(days=1), reference="ro1", by="c")
    p.receive(D(10), D("13.00"), at=DAY1 + timedelta(days=2), reference="r1", by="c")
    p.issue(D(6), at=DAY1 + timedelta(days=3), reference="ro2", by="c")
    p.take_back(D(1), quality=False, at=DAY1 + timedelta(days=4), reference="ro2", by="c")
    return p


def test_fill_rate_is_lines_covered_at_first_request_over_lines_requested():
    assert fill_rate([True, True, False, True]) == (3, 4, D("0.7500"))
    assert fill_rate([True, False, False]) == (1, 3, D("0.3333"))
    assert fill_rate([]) == (0, 0, None)


def test_stock_value_replays_the_moving_average_cost():
    p = card()
    assert p.cost == D("11.8750")
    assert stock_value_at(p, DAY1) == D("100.00")  # 10 × 10.00
    assert stock_value_at(p, DAY1 + timedelta(days=2, hours=1)) == D("190.00")  # 16 × 11.875
    assert stock_value_at(p, DAY1 + timedelta(days=10)) == D("130.63")  # 11 × 11.875, half-up to the fen


def test_cost_of_issues_nets_returns_at_the_cost_they_moved_at():
    p = card()
    # 4 × 10.00 + 6 × 11.875 − 1 × 11.875
    assert cost_of_issues(p, DAY1, DAY1 + timedelta(days=10)) == D("99.38")
    assert cost_of_issues(p, DAY1, DAY1 + timedelta(days=2)) == D("40.00")


def test_turnover_is_cost_of_issues_over_the_average_stock_value():
    f = store_figures(store_id="s1", parts=[card()], covered_at_request=[True, False], period_start=date(2026, 11, 1),
                      period_end=date(2026, 11, 10), start=DAY1, end=DAY1 + timedelta(days=10))
    assert (f.opening_stock_value, f.closing_stock_value, f.average_stock_value) == (
        D("100.00"), D("130.63"), D("115.32"))
    assert f.cost_of_issues == D("99.38") and f.turnover == D("0.8618")
    assert f.annualised_turnover == D("31.4557") and f.days == 10
    assert f.fill_rate == D("0.5000")


def test_no_stock_no_turnover():
    f = store_figures(store_id="s1", parts=[], covered_at_request=[], period_start=date(2026, 11, 1),
                      period_end=date(2026, 11, 1), start=DAY1, end=DAY1 + timedelta(days=1))
    assert f.turnover is None and f.fill_rate is None and f.cost_of_issues == 0
