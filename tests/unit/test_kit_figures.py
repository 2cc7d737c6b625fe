"""The figures contract: periods in local dates, and a group's ratio is a ratio of sums."""

from datetime import date
from decimal import Decimal

import pytest
from shared.errors import DomainError
from shared.kit.figures import GROUP, Granularity, combine, periods, ratio, total

MON = date(2026, 11, 23)


def test_weeks_start_on_monday_and_months_on_the_first():
    assert periods(date(2026, 11, 1), date(2026, 11, 30), Granularity.WEEK) == [
        date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23),
        date(2026, 11, 30)]
    assert periods(date(2026, 1, 31), date(2026, 3, 1), Granularity.MONTH) == [
        date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


def test_a_span_backwards_or_too_long_is_refused_naming_the_field():
    with pytest.raises(DomainError) as e:
        periods(date(2026, 2, 1), date(2026, 1, 1), Granularity.DAY)
    assert e.value.field == "date_to"
    with pytest.raises(DomainError) as e:
        periods(date(2020, 1, 1), date(2026, 1, 1), Granularity.DAY)
    assert e.value.field == "granularity"
    with pytest.raises(DomainError) as e:  # the month after December 9999 would overflow: a 422, not a 500
        periods(date(9999, 12, 31), date(9999, 12, 31), Granularity.MONTH)
    assert e.value.field == "date_from"


def test_a_group_ratio_weighs_each_store_by_its_cars_not_an_average_of_ratios():
    small, big = ratio("first_time_fix_rate", "a", MON, 1, 2), ratio("first_time_fix_rate", "b", MON, 99, 100)
    [group] = combine([small, big], store_id=GROUP, period=MON)
    assert (group.numerator, group.denominator, group.value) == (100, 102, Decimal("0.9804"))


def test_counts_are_summed_and_a_ratio_over_nothing_is_null():
    got = {f.kpi: f for f in combine([total("vehicles_in", "a", MON, 3), total("vehicles_in", "b", MON, 4),
                                      ratio("booking_rate", "a", MON, 0, 0)], store_id=GROUP, period=MON)}
    assert got["vehicles_in"].value == 7
    assert got["booking_rate"].value is None


def test_a_store_user_gets_their_stores_a_group_role_every_store_seen_and_another_store_is_refused():
    from shared.auth import Principal, Role
    from shared.errors import Forbidden
    from shared.kit.figures import stores_in_scope

    store = Principal(user_id="u", name="u", dealer_group_id="dg", roles=frozenset({Role.PARTS_MANAGER}),
                      store_ids=frozenset({"b", "a"}))
    analyst = Principal(user_id="g", name="g", dealer_group_id="dg", roles=frozenset({Role.GROUP_ANALYST}))
    assert stores_in_scope(store, None, ["c"]) == ["a", "b"]  # their stores, with records or not
    assert stores_in_scope(analyst, None, ["c", "a", "c"]) == ["a", "c"]
    assert stores_in_scope(store, "a", []) == ["a"]
    with pytest.raises(Forbidden):
        stores_in_scope(store, "c", ["c"])


def test_an_instant_falls_in_the_store_s_local_period():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from shared.kit.figures import period_of, span

    sh = ZoneInfo("Asia/Shanghai")
    # 16:30 UTC on Sunday 22 November is 00:30 on Monday 23 November in Shanghai: this week, not last
    assert period_of(datetime(2026, 11, 22, 16, 30, tzinfo=UTC), Granularity.WEEK, sh) == MON
    assert span([MON], Granularity.WEEK, sh) == (datetime(2026, 11, 23, tzinfo=sh), datetime(2026, 11, 30, tzinfo=sh))


def test_a_state_at_the_period_s_end_sums_the_stores_but_takes_a_longer_period_s_last_value():
    from shared.kit.figures import Combine, snapshot

    tue, wed = date(2026, 11, 24), date(2026, 11, 25)
    # 100 cars overdue at the end of each day are 100 at the end of the days, not 300
    days = [snapshot("overdue_not_returned", "a", d, n) for d, n in ((wed, 100), (MON, 100), (tue, 98))]
    [week] = combine(days, store_id="a", period=MON)
    assert (week.value, week.combine) == (100, Combine.LATEST)
    # two stores of one day add up; over days too, the group's is the stores' sum on the last day
    stores = days + [snapshot("overdue_not_returned", "b", d, n) for d, n in ((MON, 7), (tue, 5), (wed, 4))]
    assert [g.value for g in combine([f for f in stores if f.period == tue], store_id=GROUP, period=tue)] == [103]
    assert [g.value for g in combine(stores, store_id=GROUP, period=MON)] == [104]


@pytest.mark.parametrize(("unit", "value"), [
    ("ratio", Decimal("0.6667")), ("CNY", Decimal("0.67")), ("turns/year", Decimal("0.67")),
    ("score", Decimal("0.67")), ("count", Decimal("0.67"))])
def test_a_combined_ratio_is_rounded_as_its_unit_says(unit, value):
    # 2 ÷ 3 over two stores: 4 places as a bare ratio, to the fen in CNY, 2 places for turns, scores and counts
    figs = [ratio("k", "a", MON, 1, 2, unit=unit), ratio("k", "b", MON, 1, 1, unit=unit)]
    [group] = combine(figs, store_id=GROUP, period=MON)
    assert (group.value, group.unit) == (value, unit)
    assert ratio("k", "a", MON, 2, 3, unit=unit).value == value  # a store's figure is rounded the same way


def test_a_unit_the_contract_does_not_know_is_refused():
    from pydantic import ValidationError
    from shared.kit.figures import PLACES, Unit

    assert set(PLACES) == set(Unit)
    with pytest.raises(ValidationError):
        total("clocked", "a", MON, 3, unit="hours")
