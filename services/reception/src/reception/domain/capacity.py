"""Workshop capacity (工位 / 技师工时) for bookings, and the promised completion time (承诺交车时间).

A day's capacity comes from workshop (`WorkshopCapacitySet`): bays and technician hours. A booking
fits when the day's booked labour hours plus its own stay within the technician hours, and fewer
bookings than there are bays overlap its slot. A day the workshop published no capacity for is
closed to bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.errors import DomainError


@dataclass(frozen=True)
class DayCapacity:
    day: date
    bays: int
    technician_hours: Decimal


@dataclass(frozen=True)
class BookedSlot:
    """A booking already holding part of a day's capacity."""

    start: datetime
    end: datetime
    hours: Decimal


@dataclass(frozen=True)
class WorkingHours:
    """The store's opening hours, in the store's time zone."""

    opens: time = time(8, 0)
    closes: time = time(18, 0)
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, self.tz)

    def day_end(self, day: date) -> datetime:
        return datetime.combine(day, self.closes, self.tz)

    @property
    def hours_per_day(self) -> Decimal:
        span = datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)
        return Decimal(span.seconds) / 3600


def check_slot(start: datetime, end: datetime, now: datetime, wh: WorkingHours) -> None:
    """A bookable slot: in the future, not empty, inside the store's opening hours."""
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError("slot times need a time zone", field="slot_start")
    if start <= now:
        raise DomainError(f"slot {start.isoformat()} is in the past", field="slot_start")
    if end <= start:
        raise DomainError("slot must end after it starts", field="slot_end")
    day = wh.local_day(start)
    if start < wh.day_start(day) or end > wh.day_end(day):
        raise DomainError(f"slot is outside working hours {wh.opens:%H:%M}-{wh.closes:%H:%M}", field="slot_start")


def capacity_refusal(start: datetime, end: datetime, hours: Decimal, capacity: DayCapacity | None,
                     booked: list[BookedSlot]) -> str | None:
    """Why a booking does not fit the day's capacity, or None when it fits.

    `booked` is the other bookings of the same day.
    """
    if capacity is None:
        return "the workshop has published no capacity for that day"
    if capacity.bays <= 0:
        return "the workshop has no capacity that day"
    booked_hours = sum((b.hours for b in booked), Decimal(0))
    if booked_hours + hours > capacity.technician_hours:
        return (f"technician hours full: {booked_hours} of {capacity.technician_hours} h booked, "
                f"{hours} h more do not fit")
    overlapping = sum(1 for b in booked if b.start < end and start < b.end)
    if overlapping >= capacity.bays:
        return f"all {capacity.bays} bays are taken in that slot"
    return None


def _minute_of_day(at: datetime, wh: WorkingHours) -> int:
    local = at.astimezone(wh.tz)
    return local.hour * 60 + local.minute


def _starts(day: date, wanted: datetime, duration: timedelta, wh: WorkingHours) -> list[datetime]:
    """A day's candidate starts: on the hour from opening, and at the time of day asked for."""
    starts, start = [], wh.day_start(day)
    while start + duration <= wh.day_end(day):
        starts.append(start)
        start += timedelta(hours=1)
    local = wanted.astimezone(wh.tz)
    same_time = datetime.combine(day, local.time().replace(second=0, microsecond=0), wh.tz)
    if wh.day_start(day) <= same_time and same_time + duration <= wh.day_end(day) and same_time not in starts:
        starts.append(same_time)
    return starts


def next_free_slots(*, wanted: datetime, now: datetime, duration: timedelta, hours: Decimal,
                    capacities: dict[date, DayCapacity], booked: list[BookedSlot], wh: WorkingHours,
                    count: int = 3, days: int = 14) -> list[tuple[datetime, datetime]]:
    """Slots that fit, from the day and time asked for onward (never before now), looking `days` days ahead:
    the nearest day first and, on each day, the time of day asked for first, then the times nearest to it."""
    earliest = max(wanted, now)
    first, minute = wh.local_day(earliest), _minute_of_day(wanted, wh)
    found: list[tuple[int, int, datetime]] = []
    for d in range(days + 1):
        day = first + timedelta(days=d)
        cap = capacities.get(day)
        if cap is None:
            continue
        same_day = [b for b in booked if wh.local_day(b.start) == day]
        found += [(d, abs(_minute_of_day(s, wh) - minute), s) for s in _starts(day, wanted, duration, wh)
                  if s >= earliest and capacity_refusal(s, s + duration, hours, cap, same_day) is None]
        if len(found) >= count:
            break
    return [(s, s + duration) for _, _, s in sorted(found)[:count]]


def days_without_capacity(first: date, days: int, capacities: dict[date, DayCapacity]) -> list[date]:
    """The days from `first` on (`days` ahead) the workshop has published no capacity for: closed to bookings."""
    return [d for d in (first + timedelta(days=i) for i in range(days + 1)) if d not in capacities]


def promised_completion(*, now: datetime, job_hours: Decimal, queued_hours: Decimal, technicians: Decimal,
                        wh: WorkingHours) -> datetime:
    """When the car will be ready: the shop's queue shared by its technicians, then this order's hours,
    counted in working hours only (an order that does not fit today runs on into the next day)."""
    technicians = max(technicians, Decimal(1))
    remaining = timedelta(hours=float(queued_hours / technicians + job_hours))
    at = now
    for _ in range(366):
        day = wh.local_day(at)
        start = max(at, wh.day_start(day))
        end = wh.day_end(day)
        if start < end:
            if start + remaining <= end:
                return start + remaining
            remaining -= end - start
        at = wh.day_start(day + timedelta(days=1))
    raise DomainError("the order does not fit in a year of working hours", field="jobs")


def technicians_on(capacity: DayCapacity | None, wh: WorkingHours) -> Decimal:
    """How many technicians a day's technician hours stand for (at least one)."""
    if capacity is None or wh.hours_per_day <= 0:
        return Decimal(1)
    return max(Decimal(1), capacity.technician_hours / wh.hours_per_day)
