"""The dealer group and its stores: records the gateway owns (name, brand, city, time zone, hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, Field, field_validator, model_validator
from shared.contracts import organisation as events
from shared.contracts.common import LocalTime
from shared.kit import Aggregate

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TIME_ZONE = "Asia/Shanghai"


class OpeningHours(BaseModel):
    """One day's opening: `day` mon..sun, opens before it closes (a day not listed is closed)."""

    day: str = Field(pattern="^(mon|tue|wed|thu|fri|sat|sun)$")
    opens: LocalTime
    closes: LocalTime

    @model_validator(mode="after")
    def _opens_before_closing(self) -> OpeningHours:
        if self.opens >= self.closes:
            raise ValueError(f"{self.day}: opens at {self.opens} but closes at {self.closes}")
        return self


def check_time_zone(tz: str) -> str:
    """An IANA time zone name (Asia/Shanghai); `ZoneInfo` alone would accept file paths."""
    if tz not in available_timezones():
        raise ValueError(f"unknown time zone {tz!r} (an IANA name such as Asia/Shanghai)")
    try:
        ZoneInfo(tz)
    except ZoneInfoNotFoundError as e:  # pragma: no cover - listed zones load
        raise ValueError(str(e)) from None
    return tz


class StoreDetails(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    brand: str = Field(min_length=1, max_length=100)
    city: str = Field(min_length=1, max_length=100)
    time_zone: str = DEFAULT_TIME_ZONE
    opening_hours: list[OpeningHours] = Field(default_factory=list, max_length=14)

    _tz = field_validator("time_zone")(lambda cls, v: check_time_zone(v))


class Store(Aggregate):
    """A store (4S shop) of a dealer group. Its id is its code, chosen by the group (`s-pudong`)."""

    kind: ClassVar[str] = "store"

    name: str
    brand: str
    city: str
    time_zone: str
    opening_hours: list[OpeningHours] = Field(default_factory=list)

    @classmethod
    def open(cls, *, dealer_group_id: str, store_id: str, details: StoreDetails) -> Store:
        store = cls(id=store_id, dealer_group_id=dealer_group_id, store_id=store_id, **details.model_dump())
        store.raise_event(events.StoreOpened(**store.snapshot()))
        return store

    def change(self, details: StoreDetails) -> None:
        for k, v in details.model_dump().items():
            setattr(self, k, v)
        self.opening_hours = list(details.opening_hours)
        self.changed()
        self.raise_event(events.StoreChanged(**self.snapshot()))

    def snapshot(self) -> dict:
        """The store as every service keeps it (the payload of StoreOpened and StoreChanged)."""
        return dict(store_id=self.id, name=self.name, brand=self.brand, city=self.city, time_zone=self.time_zone,
                    opening_hours=[h.model_dump() for h in self.opening_hours])


class DealerGroup(Aggregate):
    """A dealer group: a group record (store_id empty), created with its first administrator."""

    kind: ClassVar[str] = "dealer group"

    name: str

    @classmethod
    def found(cls, *, dealer_group_id: str, name: str) -> DealerGroup:
        return cls(id=dealer_group_id, dealer_group_id=dealer_group_id, store_id="", name=name)

    def rename(self, name: str) -> None:
        self.name = name
        self.changed()


@dataclass(frozen=True)
class LocalDay:
    """A store's calendar day: its date and the instants it starts and ends (the next day's start)."""

    day: date
    start: datetime
    end: datetime
    time_zone: str


def local_day(now: datetime, time_zone: str = DEFAULT_TIME_ZONE) -> LocalDay:
    """The day `now` falls on in the store's time zone: a board's "today" is the store's, not the server's
    (16:30 UTC is already tomorrow in Shanghai)."""
    tz = ZoneInfo(time_zone)
    day = now.astimezone(tz).date()
    return LocalDay(day=day, start=datetime.combine(day, time.min, tz),
                    end=datetime.combine(day + timedelta(days=1), time.min, tz), time_zone=time_zone)
