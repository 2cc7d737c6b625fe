"""Customer care's KPIs on the figures contract, against values worked out by hand: a week of two stores."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from crm.domain.figures import ComplaintFact, FollowUpFact, VehicleHistory, Visit, care_figures
from shared.kit.figures import GROUP, Granularity, combine

SH = ZoneInfo("Asia/Shanghai")
MON = date(2026, 11, 2)


def at(day: int, hour: int = 10) -> datetime:
    """Store time in the week of Monday 2 November 2026 (day 0 = Monday, -3 = the Friday before)."""
    return datetime(2026, 11, 2, hour, tzinfo=SH) + timedelta(days=day)


def when(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 10, tzinfo=SH)


FOLLOW_UPS = [
    FollowUpFact("s1", at(0), "completed", at(1), 5),
    FollowUpFact("s1", at(1), "completed", at(2), 4),
    FollowUpFact("s1", at(2), "failed"),
    FollowUpFact("s1", at(5), "scheduled"),            # Saturday's delivery: the call is still to come
    FollowUpFact("s1", at(-3), "completed", at(0), 2),  # last Friday's delivery, called this Monday
    FollowUpFact("s2", at(0), "completed", at(2), 3),
]
COMPLAINTS = [ComplaintFact("s1", at(1), "severe"), ComplaintFact("s1", at(2), "general"),
              ComplaintFact("s1", at(-2), "severe")]  # last Saturday's
VISITS = [Visit("s1", at(d)) for d in (0, 1, 2, 5)] + [Visit("s2", at(0))]
VEHICLES = [
    # sold 1 June, never serviced: first service due 1 September (3 months); not 3 months past it yet
    VehicleHistory("v1", "s1", sale_date=date(2026, 6, 1)),
    # serviced 10 May, next service agreed for 10 July, never back: overdue, and lapsed since 10 October
    VehicleHistory("v2", "s1", visits=[Visit("s1", when(date(2026, 5, 10)), date(2026, 7, 10))]),
    # due Thursday 5 November, back on Friday (next service in May)
    VehicleHistory("v3", "s1", visits=[Visit("s1", when(date(2026, 6, 1)), date(2026, 11, 5)),
                                       Visit("s2", at(4), date(2027, 5, 6))]),
    # due 20 November: not yet
    VehicleHistory("v4", "s1", visits=[Visit("s1", when(date(2026, 8, 1)), date(2026, 11, 20))]),
    # s2's: sold January 2025, first service due April 2025, never seen: overdue and lapsed
    VehicleHistory("v5", "s2", sale_date=date(2025, 1, 1)),
]


def figures(granularity=Granularity.WEEK, starts=(MON,), today=date(2026, 11, 20)) -> dict:
    out = care_figures(stores=["s1", "s2"], starts=list(starts), granularity=granularity, tz=SH, today=today,
                       follow_ups=FOLLOW_UPS, complaints=COMPLAINTS, visits=VISITS, vehicles=VEHICLES)
    return {(f.store_id, f.period, f.kpi): f for f in out}


def test_follow_up_success_is_reached_over_all_follow_ups_of_the_week_s_deliveries():
    f = figures()
    r = f["s1", MON, "follow_up_success_rate"]
    # s1 delivered Mon, Tue, Wed, Sat: Mon and Tue reached, Wed failed, Sat still to call: 2 ÷ 4
    assert (r.numerator, r.denominator, r.value) == (2, 4, D("0.5000"))
    assert f["s2", MON, "follow_up_success_rate"].value == D("1.0000")


def test_csi_is_the_mean_score_of_the_calls_completed_in_the_week():
    f = figures()
    c = f["s1", MON, "csi"]
    # completed this week: 5 (Tue), 4 (Wed) and 2 (Mon, for last Friday's delivery): 11 ÷ 3 = 3.67
    assert (c.numerator, c.denominator, c.value, c.unit) == (11, 3, D("3.67"), "score")
    [group] = [g for g in combine([f["s1", MON, "csi"], f["s2", MON, "csi"]], store_id=GROUP, period=MON)]
    assert group.value == D("3.50")  # (11 + 3) ÷ (3 + 1), each call weighing the same


def test_severe_complaint_rate_is_severe_complaints_over_vehicles_delivered():
    f = figures()
    # s1: one severe this week (last Saturday's is last week's) over 4 deliveries; s2: none over 1
    assert f["s1", MON, "severe_complaint_rate"].value == D("0.2500")
    assert f["s2", MON, "severe_complaint_rate"].value == D("0.0000")


def test_overdue_vehicles_are_counted_at_the_end_of_the_week():
    f = figures()
    # end of the week: v1 (first service due 1 Sep) and v2 (due 10 Jul) are overdue, v3 came back Friday, v4 is
    # not due; only v2 is more than 3 months past due (10 Oct < 9 Nov); s2's v5 is both
    assert (f["s1", MON, "overdue_not_returned"].value, f["s1", MON, "lapsed_vehicles"].value) == (2, 1)
    assert (f["s2", MON, "overdue_not_returned"].value, f["s2", MON, "lapsed_vehicles"].value) == (1, 1)


def test_each_day_counts_the_overdue_vehicles_at_its_own_end():
    days = [MON + timedelta(days=i) for i in range(7)]
    f = figures(Granularity.DAY, days)
    thu, fri = MON + timedelta(days=3), MON + timedelta(days=4)
    # v3 was due Thursday and not back at its end; it came back on Friday
    assert [f["s1", d, "overdue_not_returned"].value for d in (thu, fri)] == [3, 2]
    # a Wednesday with nothing due (v3 due Thursday): v1 and v2
    assert f["s1", MON + timedelta(days=2), "overdue_not_returned"].value == 2


def test_a_week_still_running_counts_the_overdue_vehicles_as_of_today():
    # today Thursday: v3 (due that day) is not overdue yet
    assert figures(today=MON + timedelta(days=3))["s1", MON, "overdue_not_returned"].value == 2


def test_a_week_of_days_combines_to_the_week_s_overdue_count_not_their_sum():
    days = [MON + timedelta(days=i) for i in range(7)]
    by_day, week = figures(Granularity.DAY, days), figures()
    for s in ("s1", "s2"):
        overdue = [by_day[s, d, "overdue_not_returned"] for d in days]
        assert overdue[0].combine == "latest"
        [combined] = combine(overdue, store_id=s, period=MON)
        assert combined.value == week[s, MON, "overdue_not_returned"].value  # s1: 2 at Sunday's end, not 15
    [group] = combine([week[s, MON, "lapsed_vehicles"] for s in ("s1", "s2")], store_id=GROUP, period=MON)
    assert group.value == 2  # stores add up
