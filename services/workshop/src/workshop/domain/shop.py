"""The shop floor of one store: teams, technicians, bays, shifts, and the capacity they make.

Capacity is computed, never typed in: a day's technician hours are the hours of every shift that
works that weekday times the active technicians of its team; its bays are the bays in service.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field
from shared.contracts.workshop import WorkshopCapacitySet
from shared.errors import DomainError, NotFound
from shared.kit import Aggregate

CAPACITY_DAYS = 14  # reception books into the coming two weeks


class Skill(StrEnum):
    MECHANICAL = "mechanical"
    ELECTRICAL = "electrical"
    BODY = "body"
    PAINT = "paint"
    DIAGNOSIS = "diagnosis"


class Grade(StrEnum):
    """A technician's grade (技师等级): senior, mid or junior."""

    SENIOR = "senior"
    MID = "mid"
    JUNIOR = "junior"


GRADE_RANK = {Grade.SENIOR: 0, Grade.MID: 1, Grade.JUNIOR: 2}


class BayKind(StrEnum):
    GENERAL = "general"
    LIFT = "lift"
    ALIGNMENT = "alignment"
    PAINT_BOOTH = "paint_booth"


class Technician(BaseModel):
    """A technician (维修技师); the id is the user id they log in with."""

    technician_id: str
    name: str
    team_id: str
    grade: Grade
    skills: list[Skill] = Field(min_length=1)
    active: bool = True


class Team(BaseModel):
    """A repair team (维修班组) led by its team leader (维修班组长)."""

    team_id: str
    name: str
    leader_id: str | None = None


class Bay(BaseModel):
    """A working bay (工位)."""

    bay_id: str
    kind: BayKind
    in_service: bool = True


class Shift(BaseModel):
    """When a team works (班次): the weekdays (0 = Monday), the hours and the unpaid break."""

    shift_id: str
    team_id: str
    weekdays: list[int] = Field(min_length=1)
    start: time
    end: time
    break_minutes: int = Field(default=60, ge=0)

    def hours(self) -> Decimal:
        minutes = (datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)).seconds // 60
        return Decimal(max(minutes - self.break_minutes, 0)) / 60


class DayCapacity(BaseModel):
    day: date
    bays: int
    technician_hours: Decimal


class Shop(Aggregate):
    """A store's workshop: its teams, technicians, bays and shifts. One per store."""

    kind: ClassVar[str] = "workshop"

    teams: list[Team] = Field(default_factory=list)
    technicians: list[Technician] = Field(default_factory=list)
    bays: list[Bay] = Field(default_factory=list)
    shifts: list[Shift] = Field(default_factory=list)
    closed_days: list[date] = Field(default_factory=list, description="Holidays: no capacity")
    published: dict[str, list[str]] = Field(default_factory=dict,
                                            description="day -> [bays, hours] as last published")

    @staticmethod
    def id_for(dealer_group_id: str, store_id: str) -> str:
        return f"{dealer_group_id}:{store_id}"

    @classmethod
    def open(cls, dealer_group_id: str, store_id: str) -> Shop:
        return cls(id=cls.id_for(dealer_group_id, store_id), dealer_group_id=dealer_group_id, store_id=store_id)

    # -- the roster --------------------------------------------------------------------------
    def team(self, team_id: str) -> Team:
        found = next((t for t in self.teams if t.team_id == team_id), None)
        if found is None:
            raise NotFound(f"no team {team_id} in this workshop", field="team_id")
        return found

    def technician(self, technician_id: str) -> Technician:
        found = next((t for t in self.technicians if t.technician_id == technician_id), None)
        if found is None:
            raise NotFound(f"no technician {technician_id} in this workshop", field="technician_id")
        return found

    def set_team(self, team: Team) -> None:
        self.teams = [t for t in self.teams if t.team_id != team.team_id] + [team]
        self.changed()

    def set_technician(self, tech: Technician) -> None:
        self.team(tech.team_id)
        self.technicians = [t for t in self.technicians if t.technician_id != tech.technician_id] + [tech]
        self.changed()

    def set_bay(self, bay: Bay) -> None:
        self.bays = [b for b in self.bays if b.bay_id != bay.bay_id] + [bay]
        self.changed()

    def set_shift(self, shift: Shift) -> None:
        self.team(shift.team_id)
        if shift.end <= shift.start:
            raise DomainError("a shift must end after it starts", field="end")
        if any(d < 0 or d > 6 for d in shift.weekdays):
            raise DomainError("weekdays are 0 (Monday) to 6 (Sunday)", field="weekdays")
        self.shifts = [s for s in self.shifts if s.shift_id != shift.shift_id] + [shift]
        self.changed()

    def set_closed_days(self, days: list[date]) -> None:
        self.closed_days = sorted(set(days))
        self.changed()

    def team_members(self, team_id: str) -> list[Technician]:
        return [t for t in self.technicians if t.team_id == team_id and t.active]

    def is_team_leader(self, user_id: str) -> bool:
        return any(t.leader_id == user_id for t in self.teams)

    # -- capacity ------------------------------------------------------------------------------
    def capacity(self, day: date) -> DayCapacity:
        """A day's bays in service and technician hours (shift hours × the team's active technicians)."""
        if day in self.closed_days:
            return DayCapacity(day=day, bays=0, technician_hours=Decimal(0))
        hours = sum((s.hours() * len(self.team_members(s.team_id)) for s in self.shifts
                     if day.weekday() in s.weekdays), Decimal(0))
        bays = sum(1 for b in self.bays if b.in_service) if hours else 0
        return DayCapacity(day=day, bays=bays, technician_hours=hours.quantize(Decimal("0.01")))

    def publish_capacity(self, today: date, days: int = CAPACITY_DAYS) -> list[DayCapacity]:
        """Raise WorkshopCapacitySet for each of the coming `days` whose capacity differs from what was
        last published (a new day coming into the window included); forget days gone by."""
        out = []
        for n in range(days):
            cap = self.capacity(today + timedelta(days=n))
            key, value = cap.day.isoformat(), [str(cap.bays), str(cap.technician_hours)]
            if self.published.get(key) != value:
                self.published[key] = value
                self.raise_event(WorkshopCapacitySet(day=cap.day, bays=cap.bays,
                                                     technician_hours=cap.technician_hours))
                out.append(cap)
        self.published = {k: v for k, v in self.published.items() if k >= today.isoformat()}
        return out
