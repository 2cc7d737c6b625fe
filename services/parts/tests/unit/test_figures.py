"""The parts room's KPIs on the figures contract, against values worked out by hand."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from parts.domain.figures import RequestedLine, SoldLine, daily_values, parts_figures, value_days
from parts.domain.stock import Part
from shared.kit.figures import GROUP, Granularity, combine

SH = ZoneInfo("Asia/Shanghai")
MON = date(2026, 11, 2)


def at(day: int, hour: int = 10) -> datetime:
    """A time in the week of Monday 2 November 2026, store time (day 0 = Monday)."""
    return datetime(2026, 11, 2 + day, hour, tzinfo=SH)


def card(store: str = "s1") -> Part:
    """Opened before the week with 10 at 10.00; Tue 4 issued; Wed 10 received at 13.00 (moving average
    (6 × 10 + 10 × 13) ÷ 16 = 11.875); Thu 6 issued; Fri 1 returned to stock."""
    p = Part(id=f"{store}:P1", dealer_group_id="dg", store_id=store, part_no="P1", name="pad", retail_price=D(30),
             bin_id="b", bin_code="A-1-1-1")
    p.open_stock(D(10), D("10.00"), at=datetime(2026, 10, 28, 9, tzinfo=SH), by="c")
    p.issue(D(4), at=at(1), reference="ro1", by="c")
    p.receive(D(10), D("13.00"), at=at(2), reference="r1", by="c")
    p.issue(D(6), at=at(3), reference="ro2", by="c")
    p.take_back(D(1), quality=False, at=at(4), reference="ro2", by="c")
    return p


def week(**kw):
    args = dict(stores=["s1", "s2"], starts=[MON], granularity=Granularity.WEEK, tz=SH, today=MON + timedelta(days=6),
                parts=[card()], requested=[], sold=[])
    return {(f.store_id, f.kpi): f for f in parts_figures(**(args | kw))}


def test_the_stock_value_at_each_day_end_replays_the_moving_average_cost():
    # 28 Oct 10 × 10.00; Tue 6 × 10.00; Wed 16 × 11.875; Thu 10 × 11.875; Fri 11 × 11.875 = 130.625 → 130.63
    assert daily_values(card(), SH) == [(date(2026, 10, 28), D("100.00")), (MON + timedelta(days=1), D("60.00")),
                                        (MON + timedelta(days=2), D("190.00")), (MON + timedelta(days=3), D("118.75")),
                                        (MON + timedelta(days=4), D("130.63"))]


def test_value_days_sum_each_day_end_value_and_nothing_before_the_card_opened():
    changes = daily_values(card(), SH)
    # Mon 100 + Tue 60 + Wed 190 + Thu 118.75 + Fri, Sat, Sun 130.63 each = 860.64
    assert value_days(changes, MON, MON + timedelta(days=6)) == D("860.64")
    # 26 Oct (nothing yet) and 27 Oct (nothing yet), 28 Oct 100 = 100
    assert value_days(changes, date(2026, 10, 26), date(2026, 10, 28)) == D("100.00")
    assert value_days(changes, MON, MON - timedelta(days=1)) == 0


def test_stock_turnover_is_cost_issued_over_average_stock_value_a_year():
    f = week()
    # cost issued, each movement to the fen: 4 × 10.00 + 6 × 11.875 − (1 × 11.875 → 11.88) = 99.37
    assert f["s1", "parts_cost_issued"].value == D("99.37") and f["s1", "parts_cost_issued"].unit == "CNY"
    t = f["s1", "stock_turnover"]
    # denominator 860.64 value-days ÷ 365 = 2.3579; 99.37 ÷ 2.3579 = 42.14 turns a year
    # (the same by hand: average stock 860.64 ÷ 7 = 122.95, 99.37 ÷ 122.95 × 365 ÷ 7 = 42.1)
    assert (t.numerator, t.denominator, t.value, t.unit) == (D("99.37"), D("2.3579"), D("42.14"), "turns/year")


def test_days_still_to_come_do_not_count_towards_the_average_stock():
    # today Wednesday: Mon 100 + Tue 60 + Wed 190 = 350 value-days ÷ 365 = 0.9589
    assert week(today=MON + timedelta(days=2))["s1", "stock_turnover"].denominator == D("0.9589")


def test_days_combine_into_the_week_as_a_ratio_of_sums():
    days = parts_figures(stores=["s1"], starts=[MON + timedelta(days=i) for i in range(7)], granularity=Granularity.DAY,
                         tz=SH, today=MON + timedelta(days=6), parts=[card()], requested=[], sold=[])
    tue = {f.kpi: f for f in days if f.period == MON + timedelta(days=1)}
    # Tuesday: 4 × 10.00 issued over the 60.00 held at its end for one day: 40 ÷ (60 ÷ 365 = 0.1644) = 243.31
    assert (tue["parts_cost_issued"].value, tue["stock_turnover"].value) == (D("40.00"), D("243.31"))
    got = {f.kpi: f for f in combine(days, store_id="s1", period=MON)}
    assert got["parts_cost_issued"].value == D("99.37")
    assert got["stock_turnover"].value == week()["s1", "stock_turnover"].value == D("42.14")


def test_fill_rate_counts_lines_covered_when_first_requested_per_store():
    lines = [RequestedLine("s1", at(0), True), RequestedLine("s1", at(1), False), RequestedLine("s1", at(2), True),
             RequestedLine("s2", at(0), True),
             RequestedLine("s1", at(7), False)]  # next Monday: another week
    f = week(requested=lines)
    # s1: 2 of 3 lines covered; s2: 1 of 1
    assert (f["s1", "parts_fill_rate"].numerator, f["s1", "parts_fill_rate"].denominator) == (2, 3)
    assert f["s1", "parts_fill_rate"].value == D("0.6667") and f["s2", "parts_fill_rate"].value == D("1.0000")
    [group] = [g for g in combine(f.values(), store_id=GROUP, period=MON) if g.kpi == "parts_fill_rate"]
    assert group.value == D("0.7500")  # (2 + 1) ÷ (3 + 1), not the mean of 0.6667 and 1


def test_a_local_day_is_the_store_s_not_utc():
    # 23:30 on Sunday 1 November in Shanghai is 15:30 UTC the same day: last week, not this one
    late = datetime(2026, 11, 1, 23, 30, tzinfo=SH)
    assert week(requested=[RequestedLine("s1", late, True)])["s1", "parts_fill_rate"].denominator == 0
    # 00:30 on Monday 2 November in Shanghai is still Sunday in UTC, but this week for the store
    early = datetime(2026, 11, 2, 0, 30, tzinfo=SH)
    assert week(requested=[RequestedLine("s1", early, True)])["s1", "parts_fill_rate"].denominator == 1


def test_revenue_is_what_the_slips_sold_at_the_retail_price_of_the_issue():
    # Tue 4 × 30.00 + Thu (6 − 1 returned) × 30.00 = 270.00
    sold = [SoldLine("s1", at(1), D(4), D("30.00")), SoldLine("s1", at(3), D(5), D("30.00"))]
    assert week(sold=sold)["s1", "parts_revenue"].value == D("270.00")


def test_a_store_without_records_answers_zero_sums_and_no_ratios():
    f = week()
    assert f["s2", "parts_cost_issued"].value == 0 and f["s2", "parts_revenue"].value == 0
    assert f["s2", "stock_turnover"].value is None and f["s2", "parts_fill_rate"].value is None
