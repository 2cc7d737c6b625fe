"""Booking (预约): a vehicle, a slot and the jobs asked for, checked against parts and capacity.

States: booked → checked_in / cancelled / no_show. Rescheduling keeps it booked and clears the
confirmations. Before close of business the advisor confirms tomorrow's bookings with the workshop,
parts and (for the warranty path) claims; one hour before the slot, with the customer.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from pydantic import Field
from shared.contracts import reception as ev
from shared.contracts.common import PartLine, RequestedJob
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .pricing import Model, PartItem


class AppointmentState(StrEnum):
    BOOKED = "booked"
    TO_REBOOK = "to_rebook"  # a part is missing and the customer chose to rebook: no slot held yet
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class PartsStatus(StrEnum):
    NOT_NEEDED = "not_needed"
    IN_STOCK = "in_stock"            # on hand when booked, not yet picked
    AWAITING_ARRIVAL = "awaiting_arrival"  # missing; the customer waits for the arrival date
    RESERVED = "reserved"            # picked onto the reserved shelf (PartsReserved)
    SHORT = "short"                  # parts reported a shortage (PartsShortage)


class Party(StrEnum):
    WORKSHOP = "workshop"
    PARTS = "parts"
    CLAIMS = "claims"
    CUSTOMER = "customer"


class PartsDecision(StrEnum):
    """A part is missing: the customer waits for it or rebooks (等件 / 重新预约)."""

    WAIT = "wait"
    REBOOK = "rebook"


class BookedJob(Model):
    operation_code: str | None = None
    description: str
    flat_rate_hours: Decimal = Field(ge=0)


class Confirmation(Model):
    party: Party
    at: datetime
    by: str


class ShortPart(Model):
    part_no: str
    needed: Decimal
    available: Decimal
    expected_arrival: date | None = None


def check_wait(parts_expected_on: date | None, slot_day: date) -> None:
    """Waiting for parts needs their arrival date, and a slot on or after it."""
    if parts_expected_on is None:
        raise DomainError("waiting for parts needs their expected arrival date", field="parts_expected_on")
    if slot_day < parts_expected_on:
        raise DomainError(f"the slot is before the parts arrive ({parts_expected_on})", field="slot_start")


def parts_shortfall(needed: list[PartItem], available: dict[str, Decimal]) -> list[ShortPart]:
    """Parts the jobs need that the store does not have available (unknown parts count as none)."""
    want: dict[str, Decimal] = {}
    for p in needed:
        want[p.part_no] = want.get(p.part_no, Decimal(0)) + p.quantity
    return [ShortPart(part_no=n, needed=q, available=available.get(n, Decimal(0)))
            for n, q in sorted(want.items()) if available.get(n, Decimal(0)) < q]


class OfferedSlot(Model):
    slot_start: datetime
    slot_end: datetime


# command -> states it is allowed in: every change needs the booking still booked; one to rebook can only be
# given its new slot (reschedule) or cancelled
ALLOWED: dict[str, frozenset[AppointmentState]] = {
    command: frozenset({AppointmentState.BOOKED})
    for command in ("confirm", "mark no-show", "check in")
} | {command: frozenset({AppointmentState.BOOKED, AppointmentState.TO_REBOOK}) for command in ("reschedule", "cancel")}


class Appointment(Aggregate):
    kind: ClassVar[str] = "appointment"
    TRANSITIONS: ClassVar[dict[str, frozenset[AppointmentState]]] = ALLOWED

    id: str
    dealer_group_id: str
    store_id: str
    vehicle_id: str
    customer_id: str
    slot_start: datetime
    slot_end: datetime
    jobs: list[BookedJob]
    parts: list[PartItem] = Field(default_factory=list)
    labour_hours: Decimal
    estimated_total: Decimal
    warranty_path: bool = False
    routed_to: str | None = None
    state: AppointmentState = AppointmentState.BOOKED
    version: int = 1
    parts_status: PartsStatus = PartsStatus.NOT_NEEDED
    parts_expected_on: date | None = None
    short_parts: list[ShortPart] = Field(default_factory=list)
    confirmations: list[Confirmation] = Field(default_factory=list)
    booked_by: str
    booked_at: datetime
    repair_order_id: str | None = None
    cancel_reason: str | None = None
    parts_decision: PartsDecision | None = Field(default=None, description="The customer's choice when a part "
                                                 "was missing: wait for it, or rebook")
    slots_to_offer: list[OfferedSlot] = Field(default_factory=list, description="To rebook: the slots the advisor "
                                              "offers the customer (reschedule the booking to the one chosen)")

    @classmethod
    def book(cls, *, id: str, dealer_group_id: str, store_id: str, vehicle_id: str, customer_id: str,
             slot_start: datetime, slot_end: datetime, jobs: list[BookedJob], parts: list[PartItem],
             estimated_total: Decimal, warranty_prewarning: bool, shortfall: list[ShortPart],
             decision: PartsDecision | None, parts_expected_on: date | None, slot_day: date,
             booked_by: str, now: datetime, slots_to_offer: list[tuple[datetime, datetime]] = ()) -> Appointment:
        """Book. A vehicle with a warranty pre-warning (三包预警) goes to the supervisor on the warranty path.
        With a part missing the customer must choose: wait for its arrival date (booked), or rebook (recorded,
        no slot held, with the slots to offer; rescheduling it to the chosen one books it)."""
        if not jobs:
            raise DomainError("a booking needs at least one job", field="jobs")
        status, state = PartsStatus.IN_STOCK if parts else PartsStatus.NOT_NEEDED, AppointmentState.BOOKED
        if shortfall:
            if decision is None:
                raise Conflict("parts are missing for this booking: the customer waits for them or rebooks",
                               field="parts", missing=[s.model_dump(mode="json") for s in shortfall],
                               choices=[d.value for d in PartsDecision])
            if decision is PartsDecision.WAIT:
                check_wait(parts_expected_on, slot_day)
                status = PartsStatus.AWAITING_ARRIVAL
            else:
                status, state = PartsStatus.SHORT, AppointmentState.TO_REBOOK
            shortfall = [s.model_copy(update={"expected_arrival": parts_expected_on}) for s in shortfall]
        a = cls(id=id, dealer_group_id=dealer_group_id, store_id=store_id, vehicle_id=vehicle_id,
                customer_id=customer_id, slot_start=slot_start, slot_end=slot_end, jobs=jobs, parts=parts,
                labour_hours=sum((j.flat_rate_hours for j in jobs), Decimal(0)), estimated_total=estimated_total,
                warranty_path=warranty_prewarning,
                routed_to="front_desk_supervisor" if warranty_prewarning else None, state=state,
                parts_status=status, parts_expected_on=parts_expected_on if shortfall else None,
                short_parts=shortfall, booked_by=booked_by, booked_at=now,
                parts_decision=decision if shortfall else None,
                slots_to_offer=[OfferedSlot(slot_start=s, slot_end=e) for s, e in slots_to_offer]
                if state is AppointmentState.TO_REBOOK else [])
        if state is AppointmentState.BOOKED:
            a.raise_event(a._booked_event())
        return a

    def _booked_event(self) -> ev.AppointmentBooked:
        return ev.AppointmentBooked(
            appointment_id=self.id, vehicle_id=self.vehicle_id, customer_id=self.customer_id,
            slot_start=self.slot_start, slot_end=self.slot_end,
            jobs=[RequestedJob(operation_code=j.operation_code, description=j.description,
                               flat_rate_hours=j.flat_rate_hours) for j in self.jobs],
            parts=[PartLine(part_no=p.part_no, quantity=p.quantity, unit_price=p.unit_price) for p in self.parts],
            warranty_path=self.warranty_path, estimated_total=self.estimated_total)

    def reschedule(self, start: datetime, end: datetime) -> None:
        self.require("reschedule")
        previous = self.slot_start
        self.slot_start, self.slot_end = start, end
        self.confirmations = []
        self.changed()
        if self.state is AppointmentState.TO_REBOOK:  # the customer picked the new slot: now it is booked
            self.state, self.slots_to_offer = AppointmentState.BOOKED, []
            self.raise_event(self._booked_event())
            return
        self.raise_event(ev.AppointmentRescheduled(appointment_id=self.id, slot_start=start, slot_end=end,
                                                      previous_slot_start=previous))

    def confirm(self, party: Party, *, by: str, now: datetime) -> None:
        self.require("confirm")
        if any(c.party is party for c in self.confirmations):
            raise Conflict(f"already confirmed with {party.value}", field="party")
        self.confirmations.append(Confirmation(party=party, at=now, by=by))
        self.changed()
        self.raise_event(ev.AppointmentConfirmed(appointment_id=self.id, confirmed_with=party.value))

    def cancel(self, reason: str) -> None:
        self.require("cancel")
        self.state, self.cancel_reason = AppointmentState.CANCELLED, reason
        self.changed()
        self.raise_event(ev.AppointmentCancelled(appointment_id=self.id, reason=reason))

    def no_show(self, now: datetime) -> None:
        self.require("mark no-show")
        if now < self.slot_start:
            raise Conflict("the slot has not started yet: cannot mark a no-show", field="slot_start",
                           current_state=self.state.value)
        self.state = AppointmentState.NO_SHOW
        self.changed()
        self.raise_event(ev.AppointmentNoShow(appointment_id=self.id))

    def checked_in(self, repair_order_id: str) -> None:
        self.require("check in")
        self.state, self.repair_order_id = AppointmentState.CHECKED_IN, repair_order_id
        self.changed()

    # -- parts facts from the parts service --------------------------------------------------
    def parts_reserved(self) -> None:
        self.parts_status, self.short_parts = PartsStatus.RESERVED, []

    def parts_short(self, lines: list[ShortPart]) -> None:
        self.parts_status, self.short_parts = PartsStatus.SHORT, lines
        arrivals = [s.expected_arrival for s in lines if s.expected_arrival]
        self.parts_expected_on = max(arrivals) if arrivals else None

    # -- the advisor's lists -----------------------------------------------------------------
    def parties_to_confirm(self) -> list[Party]:
        """Before close of business: workshop always, parts when the jobs need parts, claims on the warranty path."""
        needed = [Party.WORKSHOP]
        if self.parts:
            needed.append(Party.PARTS)
        if self.warranty_path:
            needed.append(Party.CLAIMS)
        done = {c.party for c in self.confirmations}
        return [p for p in needed if p not in done]

    def needs_customer_call(self, now: datetime) -> bool:
        """One hour before the slot, confirm with the customer."""
        return (self.state is AppointmentState.BOOKED and now <= self.slot_start
                and (self.slot_start - now).total_seconds() <= 3600
                and all(c.party is not Party.CUSTOMER for c in self.confirmations))
