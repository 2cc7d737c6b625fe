"""A booking's or repair order's demand for parts: reserved onto the reserved shelf (备料) or reported short."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field, model_validator
from shared.contracts import parts as ev
from shared.contracts.common import PartLine
from shared.kit import Aggregate

from .money import ZERO


class DemandState(StrEnum):
    RESERVED = "reserved"
    SHORT = "short"
    RELEASED = "released"


class DemandLine(BaseModel):
    part_no: str
    quantity: Decimal
    short: Decimal = ZERO
    expected_arrival: date | None = None


class Demand(Aggregate):
    """Parts wanted for one booking (reference_type "appointment") or repair order ("repair_order"); its id is
    the reference's. Each ask (the booking, the opened order, an approved added job, a technician's request)
    reserves once: a second delivery of the same ask finds it in `asks` and reserves nothing."""

    kind: ClassVar[str] = "parts_demand"
    reference_type: str
    lines: list[DemandLine] = Field(default_factory=list)
    state: DemandState = DemandState.RESERVED
    asks: list[str] = Field(default_factory=list)
    short_since: datetime | None = Field(default=None, description="When it was first short: arrivals fill the "
                                         "demands short longest first")

    @model_validator(mode="after")
    def _first_ask(self) -> Demand:
        """Demands stored before asks were kept had exactly one: the booking's or the opened order's."""
        if not self.asks and self.lines:
            self.asks = ["booked" if self.reference_type == "appointment" else "opened"]
        return self

    def wants(self, ask: str) -> bool:
        """Whether this ask is new (and the demand still held): only then is anything reserved for it."""
        return self.state is not DemandState.RELEASED and ask not in self.asks

    def settle(self, lines: list[DemandLine], ask: str = "booked") -> None:
        """The outcome of reserving one ask: all held (PartsReserved) or some short (PartsShortage), for that ask's
        lines; the demand is short while any of its lines is."""
        if self.asks:
            self.changed()
        self.asks.append(ask)
        self.lines = [*self.lines, *lines]
        short = [ln for ln in lines if ln.short > 0]
        self.state = DemandState.SHORT if any(ln.short > 0 for ln in self.lines) else DemandState.RESERVED
        if short:
            self.raise_event(ev.PartsShortage(reference_id=self.id, reference_type=self.reference_type, lines=[
                ev.ShortLine(part_no=ln.part_no, quantity=ln.quantity, quantity_short=ln.short,
                             expected_arrival=ln.expected_arrival) for ln in short]))
        else:
            self.raise_event(ev.PartsReserved(reference_id=self.id, reference_type=self.reference_type,
                                              lines=[PartLine(part_no=ln.part_no, quantity=ln.quantity)
                                                     for ln in lines]))

    def short_of(self, part_no: str) -> Decimal:
        if self.state is not DemandState.SHORT:
            return ZERO
        return sum((ln.short for ln in self.lines if ln.part_no == part_no), ZERO)

    def filled(self, part_no: str, held: Decimal) -> None:
        """Stock arrived and `held` more of a part it was short of went onto its reserved shelf. Once no line is
        short the demand is reserved, and PartsReserved names all its parts (the booking is ready)."""
        for ln in self.lines:
            if ln.part_no == part_no and ln.short > 0 and held > 0:
                take = min(ln.short, held)
                ln.short, held = ln.short - take, held - take
                ln.expected_arrival = ln.expected_arrival if ln.short > 0 else None
        self.changed()
        if any(ln.short > 0 for ln in self.lines):
            return
        self.state = DemandState.RESERVED
        self.raise_event(ev.PartsReserved(reference_id=self.id, reference_type=self.reference_type, lines=[
            PartLine(part_no=no, quantity=qty) for no, qty in sorted(merge(
                [PartLine(part_no=ln.part_no, quantity=ln.quantity) for ln in self.lines]).items())]))

    def release(self) -> bool:
        if self.state is DemandState.RELEASED:
            return False
        self.state = DemandState.RELEASED
        self.changed()
        return True


def merge(lines: list[PartLine]) -> dict[str, Decimal]:
    """Part number → total quantity wanted (a part asked for by two jobs is reserved once)."""
    out: dict[str, Decimal] = {}
    for ln in lines:
        out[ln.part_no] = out.get(ln.part_no, ZERO) + ln.quantity
    return out
