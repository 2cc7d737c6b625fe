"""Booking: parts shortfall and the customer's choice, warranty pre-warning, confirmations, no-show."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from reception.domain.appointment import (
    Appointment,
    AppointmentState,
    BookedJob,
    PartsDecision,
    PartsStatus,
    Party,
    parts_shortfall,
)
from reception.domain.pricing import PartItem
from shared.errors import Conflict, DomainError, InvalidTransition

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
SLOT = NOW + timedelta(days=1)
PARTS = [PartItem(part_no="OIL", quantity=D(4), unit_price=D(50))]


def book(shortfall=(), decision=None, expected=None, prewarn=False, parts=PARTS):
    return Appointment.book(
        id="a1", dealer_group_id="dg", store_id="s1", vehicle_id="v1", customer_id="c1", slot_start=SLOT,
        slot_end=SLOT + timedelta(hours=1), jobs=[BookedJob(description="oil", flat_rate_hours=D(1))], parts=parts,
        estimated_total=D(500), warranty_prewarning=prewarn, shortfall=list(shortfall), decision=decision,
        parts_expected_on=expected, slot_day=SLOT.date(), booked_by="adv", now=NOW)


def test_shortfall_counts_unknown_parts_as_missing():
    short = parts_shortfall(PARTS + [PartItem(part_no="FLT", quantity=D(1))], {"OIL": D(10)})
    assert [(s.part_no, s.needed, s.available) for s in short] == [("FLT", D(1), D(0))]


def test_missing_part_without_a_choice_is_refused_listing_the_part():
    short = parts_shortfall(PARTS, {"OIL": D(1)})
    with pytest.raises(Conflict) as e:
        book(short)
    assert e.value.extra["missing"][0]["part_no"] == "OIL" and "wait" in e.value.extra["choices"]


def test_rebooking_for_a_missing_part_is_recorded_with_the_slots_to_offer_and_holds_no_slot():
    short = parts_shortfall(PARTS, {"OIL": D(1)})
    offer = [(SLOT + timedelta(days=2), SLOT + timedelta(days=2, hours=1))]
    a = Appointment.book(
        id="a1", dealer_group_id="dg", store_id="s1", vehicle_id="v1", customer_id="c1", slot_start=SLOT,
        slot_end=SLOT + timedelta(hours=1), jobs=[BookedJob(description="oil", flat_rate_hours=D(1))], parts=PARTS,
        estimated_total=D(500), warranty_prewarning=False, shortfall=short, decision=PartsDecision.REBOOK,
        parts_expected_on=None, slot_day=SLOT.date(), booked_by="adv", now=NOW, slots_to_offer=offer)
    assert a.state is AppointmentState.TO_REBOOK and a.parts_decision is PartsDecision.REBOOK
    assert a.parts_status is PartsStatus.SHORT and a.short_parts[0].part_no == "OIL"
    assert [(o.slot_start, o.slot_end) for o in a.slots_to_offer] == offer
    assert a.events == []  # nothing booked yet: no slot, no parts to reserve
    for refused in (lambda: a.confirm(Party.WORKSHOP, by="adv", now=NOW), lambda: a.checked_in("ro1"),
                    lambda: a.no_show(SLOT + timedelta(hours=2))):
        with pytest.raises(InvalidTransition):
            refused()
    a.reschedule(*offer[0])  # the customer picked a slot: now it is booked
    assert a.state is AppointmentState.BOOKED and a.slots_to_offer == []
    assert [e.event_type for e in a.events] == ["AppointmentBooked.v1"]
    assert a.events[0].slot_start == offer[0][0]


def test_waiting_for_parts_records_the_arrival_date():
    short = parts_shortfall(PARTS, {})
    with pytest.raises(DomainError) as e:
        book(short, PartsDecision.WAIT)
    assert e.value.field == "parts_expected_on"
    with pytest.raises(DomainError) as e:
        book(short, PartsDecision.WAIT, expected=SLOT.date() + timedelta(days=1))
    assert e.value.field == "slot_start"
    a = book(short, PartsDecision.WAIT, expected=SLOT.date())
    assert a.parts_status is PartsStatus.AWAITING_ARRIVAL and a.parts_expected_on == SLOT.date()
    assert a.events[0].event_type == "AppointmentBooked.v1"


def test_warranty_prewarning_goes_to_the_supervisor_on_the_warranty_path():
    a = book(prewarn=True)
    assert a.warranty_path and a.routed_to == "front_desk_supervisor" and a.events[0].warranty_path
    assert a.parties_to_confirm() == [Party.WORKSHOP, Party.PARTS, Party.CLAIMS]


def test_confirmations_and_reschedule_clears_them():
    a = book()
    a.confirm(Party.WORKSHOP, by="adv", now=NOW)
    assert a.parties_to_confirm() == [Party.PARTS]
    with pytest.raises(Conflict):
        a.confirm(Party.WORKSHOP, by="adv", now=NOW)
    a.reschedule(SLOT + timedelta(days=1), SLOT + timedelta(days=1, hours=1))
    assert a.parties_to_confirm() == [Party.WORKSHOP, Party.PARTS]
    assert a.events[-1].previous_slot_start == SLOT


def test_call_the_customer_one_hour_before():
    a = book()
    assert not a.needs_customer_call(SLOT - timedelta(hours=2))
    assert a.needs_customer_call(SLOT - timedelta(minutes=50))
    a.confirm(Party.CUSTOMER, by="adv", now=NOW)
    assert not a.needs_customer_call(SLOT - timedelta(minutes=50))


def test_no_show_only_after_the_slot_started_and_then_nothing_else():
    a = book()
    with pytest.raises(Conflict):
        a.no_show(SLOT - timedelta(minutes=1))
    a.no_show(SLOT + timedelta(minutes=30))
    assert a.state is AppointmentState.NO_SHOW
    for cmd in (lambda: a.cancel("x"), lambda: a.reschedule(SLOT, SLOT), lambda: a.checked_in("ro")):
        with pytest.raises(InvalidTransition) as e:
            cmd()
        assert e.value.extra["current_state"] == "no_show"


def test_parts_events_show_readiness():
    a = book()
    a.parts_reserved()
    assert a.parts_status is PartsStatus.RESERVED
    from reception.domain.appointment import ShortPart
    a.parts_short([ShortPart(part_no="OIL", needed=D(4), available=D(0), expected_arrival=date(2026, 12, 5))])
    assert a.parts_status is PartsStatus.SHORT and a.parts_expected_on == date(2026, 12, 5)
