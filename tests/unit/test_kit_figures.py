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


def test_a_group_ratio_weighs_each_store_by_its_cars_not_an_average_of_ratios():
    small, big = ratio("first_time_fix_rate", "a", MON, 1, 2), ratio("first_time_fix_rate", "b", MON, 99, 100)
    [group] = combine([small, big], store_id=GROUP, period=MON)
    assert (group.numerator, group.denominator, group.value) == (100, 102, Decimal("0.9804"))


def test_counts_are_summed_and_a_ratio_over_nothing_is_null():
    got = {f.kpi: f for f in combine([total("vehicles_in", "a", MON, 3), total("vehicles_in", "b", MON, 4),
                                      ratio("booking_rate", "a", MON, 0, 0)], store_id=GROUP, period=MON)}
    assert got["vehicles_in"].value == 7
    assert got["booking_rate"].value is None
