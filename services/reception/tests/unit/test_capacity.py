"""Capacity check at booking, next free slots, promised completion time."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from reception.domain.capacity import (
    BookedSlot,
    DayCapacity,
    WorkingHours,
    capacity_refusal,
    check_slot,
    days_without_capacity,
    next_free_slots,
    promised_completion,
    technicians_on,
)
from shared.errors import DomainError

SH = ZoneInfo("Asia/Shanghai")
WH = WorkingHours()
DAY = date(2026, 12, 2)


def at(h, m=0, day=DAY):
    return datetime(day.year, day.month, day.day, h, m, tzinfo=SH)


def booked(h, hours, dur=1, day=DAY):
    return BookedSlot(at(h, day=day), at(h, day=day) + timedelta(hours=dur), D(hours))


def test_booking_fits_when_hours_and_bays_allow():
    cap = DayCapacity(DAY, bays=2, technician_hours=D(16))
    assert capacity_refusal(at(9), at(10), D(2), cap, [booked(9, 4)]) is None


def test_technician_hours_full():
    cap = DayCapacity(DAY, bays=5, technician_hours=D(8))
    why = capacity_refusal(at(14), at(15), D(2), cap, [booked(9, 4), booked(10, 3)])
    assert why and "technician hours" in why


def test_all_bays_taken_in_the_slot_but_not_in_another():
    cap = DayCapacity(DAY, bays=2, technician_hours=D(40))
    taken = [booked(9, 1), booked(9, 1, dur=2)]
    assert "bays" in capacity_refusal(at(9), at(10), D(1), cap, taken)
    assert capacity_refusal(at(11), at(12), D(1), cap, taken) is None


def test_no_capacity_published_means_closed():
    assert "no capacity" in capacity_refusal(at(9), at(10), D(1), None, [])


def test_next_free_slots_skip_full_hours_and_full_days():
    d2 = DAY + timedelta(days=2)
    caps = {DAY: DayCapacity(DAY, bays=1, technician_hours=D(3)),
            d2: DayCapacity(d2, bays=1, technician_hours=D(8))}
    taken = [booked(8, 1), booked(9, 2), booked(8, 1, day=d2)]
    slots = next_free_slots(wanted=at(7), now=at(7), duration=timedelta(hours=1), hours=D(1), capacities=caps,
                            booked=taken, wh=WH, count=3)
    # DAY's technician hours are used up; DAY+1 has no capacity; DAY+2's 08:00 bay is taken
    assert [s for s, _ in slots] == [at(9, day=d2), at(10, day=d2), at(11, day=d2)]


def test_next_free_slots_start_after_now():
    caps = {DAY: DayCapacity(DAY, bays=1, technician_hours=D(8))}
    slots = next_free_slots(wanted=at(9), now=at(15, 30), duration=timedelta(hours=1), hours=D(1), capacities=caps,
                            booked=[], wh=WH)
    assert [s for s, _ in slots] == [at(16), at(17)]


def test_next_free_slots_start_from_the_day_and_time_asked_for_not_from_now():
    d1, d2, d3 = (DAY + timedelta(days=i) for i in (1, 2, 3))
    caps = {d: DayCapacity(d, bays=1, technician_hours=D(8)) for d in (DAY, d1, d2, d3)}
    now = at(9, day=DAY - timedelta(days=1))  # today; the customer asked for 14:00 in three days
    taken = [booked(14, 1, day=d2)]
    slots = next_free_slots(wanted=at(14, day=d2), now=now, duration=timedelta(hours=1), hours=D(1),
                            capacities=caps, booked=taken, wh=WH, count=4)
    # that day from 14:00 on, nearest first; then the next day at 14:00 first, then around it
    assert [s for s, _ in slots] == [at(15, day=d2), at(16, day=d2), at(17, day=d2), at(14, day=d3)]
    slots = next_free_slots(wanted=at(14, day=d2), now=now, duration=timedelta(hours=1), hours=D(1),
                            capacities=caps, booked=taken + [booked(h, 1, day=d2) for h in (15, 16, 17)], wh=WH,
                            count=3)
    assert [s for s, _ in slots] == [at(14, day=d3), at(13, day=d3), at(15, day=d3)]


def test_the_time_asked_for_is_offered_on_later_days_even_off_the_hour():
    d1 = DAY + timedelta(days=1)
    caps = {d1: DayCapacity(d1, bays=1, technician_hours=D(8))}
    slots = next_free_slots(wanted=at(10, 30), now=at(8), duration=timedelta(hours=1), hours=D(1), capacities=caps,
                            booked=[], wh=WH, count=2)
    assert [s for s, _ in slots] == [at(10, 30, day=d1), at(10, day=d1)]


def test_days_without_capacity_are_named():
    caps = {DAY: DayCapacity(DAY, bays=1, technician_hours=D(8))}
    assert days_without_capacity(DAY, 2, caps) == [DAY + timedelta(days=1), DAY + timedelta(days=2)]
    assert "published no capacity" in capacity_refusal(at(9), at(10), D(1), None, [])


def test_slot_in_the_past_or_outside_hours_is_refused():
    with pytest.raises(DomainError) as e:
        check_slot(at(9), at(10), now=at(9, 30), wh=WH)
    assert e.value.field == "slot_start" and "past" in e.value.message
    with pytest.raises(DomainError) as e:
        check_slot(at(17, 30), at(18, 30), now=at(8), wh=WH)
    assert "working hours" in e.value.message
    with pytest.raises(DomainError) as e:
        check_slot(at(10), at(10), now=at(8), wh=WH)
    assert e.value.field == "slot_end"


def test_promised_time_shares_the_queue_and_runs_over_to_the_next_day():
    # 2 technicians, 6 h queued -> 3 h wait, then 2 h work: 10:00 + 5 h = 15:00
    assert promised_completion(now=at(10), job_hours=D(2), queued_hours=D(6), technicians=D(2), wh=WH) == at(15)
    # 16:00 + 4 h: 2 h today, 2 h tomorrow from 08:00
    assert promised_completion(now=at(16), job_hours=D(4), queued_hours=D(0), technicians=D(1), wh=WH) \
        == at(10, day=DAY + timedelta(days=1))
    # before opening counts from opening
    assert promised_completion(now=at(6), job_hours=D(1), queued_hours=D(0), technicians=D(1), wh=WH) == at(9)


def test_technicians_from_the_days_hours():
    assert technicians_on(DayCapacity(DAY, 4, D(30)), WH) == D(3)
    assert technicians_on(None, WH) == D(1)
