"""Handlers on the in-memory unit of work: no PostgreSQL, no Kafka."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from reception.adapters.repository import Appointments, RepairOrders
from reception.domain.appointment import Appointment, AppointmentState, BookedJob, Party
from reception.domain.pricing import Job, Signature
from reception.domain.repair_order import CheckInSheet, OldParts, PaymentMethod, RepairOrder, RoState, Transport
from reception.service_layer import appointments, figures, repair_orders
from reception.service_layer import commands as c
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.errors import Conflict, Forbidden, InvalidTransition, NotFound, StaleVersion
from shared.kit import InMemoryUnitOfWork
from shared.kit.figures import Granularity
from shared.messaging.envelope import Tenant

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
SLOT = datetime(2026, 12, 2, 9, 0, tzinfo=SH)


def advisor(store: str = "s1", group: str = "dg", user: str = "adv-li") -> Principal:
    return Principal(user_id=user, name=user, dealer_group_id=group, roles=frozenset({Role.ADVISOR}),
                     store_ids=frozenset({store}))


def booking(id: str = "a1", store: str = "s1") -> Appointment:
    return Appointment.book(
        id=id, dealer_group_id="dg", store_id=store, vehicle_id="v1", customer_id="c1", slot_start=SLOT,
        slot_end=SLOT + timedelta(hours=1), jobs=[BookedJob(description="oil", flat_rate_hours=D(1))], parts=[],
        estimated_total=D(300), warranty_prewarning=False, shortfall=[], decision=None, parts_expected_on=None,
        slot_day=SLOT.date(), booked_by="adv-li", now=NOW)


def opened_order(id: str = "ro1", store: str = "s1") -> RepairOrder:
    sheet = CheckInSheet(vin="LSVAU2180N2183294", odometer_km=12000, covers_fitted=True,
                         customer_complaint="noise", checked_in_at=NOW)
    ro = RepairOrder.check_in_vehicle(id=id, dealer_group_id="dg", store_id=store, vehicle_id="v1",
                                      customer_id="c1", advisor_id="adv-li", sheet=sheet)
    ro.open(number=f"{store}-RO000001", jobs=[Job(job_id="j1", description="oil change", flat_rate_hours=D(1),
                                                  labour_rate=D(300))],
            materials=[], payment_method=PaymentMethod.CASH, old_parts=OldParts.STORE_KEEPS, wash=False,
            transport=Transport.WAITS, signature=Signature(name="王伟", image_ref="sig.png", signed_at=NOW),
            promised_at=NOW + timedelta(hours=2), now=NOW)
    return ro


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def uow(clock) -> InMemoryUnitOfWork:
    """A unit of work for an advisor of store s1, with booking a1 and the open order ro1 already stored."""
    u = InMemoryUnitOfWork(clock=clock, actor=advisor())
    await u.repo(Appointments).add(booking())
    await u.repo(RepairOrders).add(opened_order())
    u.published.clear()
    return u


async def test_confirming_a_booking_records_who_and_publishes_under_the_bookings_tenant(uow):
    a = await appointments.confirm(uow, c.Confirm(version=1, party=Party.WORKSHOP).bind(appointment_id="a1"))
    assert a.version == 2 and [(p.party, p.by, p.at) for p in a.confirmations] == [
        (Party.WORKSHOP, "adv-li", NOW)]
    assert uow.event_types() == ["AppointmentConfirmed"]
    event, tenant = uow.published[0]
    assert event.confirmed_with == "workshop" and tenant == Tenant("dg", "s1")
    stored = await uow.repo(Appointments).get("a1", lock=False)
    assert stored.version == 2 and stored.confirmations[0].party is Party.WORKSHOP


async def test_cancelling_a_booking_then_cancelling_again_names_the_state(uow):
    a = await appointments.cancel(uow, c.CancelAppointment(version=1, reason="sold the car").bind(appointment_id="a1"))
    assert a.state is AppointmentState.CANCELLED and uow.event_types() == ["AppointmentCancelled"]
    with pytest.raises(InvalidTransition) as e:
        await appointments.cancel(uow, c.CancelAppointment(version=2, reason="x").bind(appointment_id="a1"))
    assert e.value.status_code == 409 and e.value.extra["current_state"] == "cancelled"
    assert uow.event_types() == ["AppointmentCancelled"]


async def test_no_show_only_once_the_slot_has_started(uow, clock):
    cmd = c.MarkNoShow(version=1).bind(appointment_id="a1")
    with pytest.raises(Conflict) as e:  # the slot has not started yet
        await appointments.no_show(uow, cmd)
    assert e.value.status_code == 409 and e.value.field == "slot_start" and uow.published == []
    clock.set(SLOT + timedelta(minutes=30))
    a = await appointments.no_show(uow, cmd)
    assert a.state is AppointmentState.NO_SHOW and uow.event_types() == ["AppointmentNoShow"]


async def test_a_stale_version_is_refused_and_nothing_is_published_or_changed(uow):
    with pytest.raises(StaleVersion) as e:
        await appointments.confirm(uow, c.Confirm(version=7, party=Party.PARTS).bind(appointment_id="a1"))
    assert e.value.status_code == 409 and e.value.extra == {"expected_version": 7, "current_version": 1}
    with pytest.raises(StaleVersion):
        await repair_orders.cancel(uow, c.CancelOrder(version=1, reason="x").bind(repair_order_id="ro1"))
    assert uow.published == []
    assert (await uow.repo(Appointments).get("a1", lock=False)).confirmations == []
    assert (await uow.repo(RepairOrders).get("ro1", lock=False)).state is RoState.OPEN


async def test_cancelling_a_repair_order_publishes_it_under_the_orders_store(uow):
    ro = await repair_orders.cancel(uow, c.CancelOrder(version=2, reason="customer changed mind")
                                    .bind(repair_order_id="ro1"))
    assert ro.state is RoState.CANCELLED and ro.version == 3 and ro.cancel_reason == "customer changed mind"
    assert uow.event_types() == ["RepairOrderCancelled"]
    event, tenant = uow.published[0]
    assert event.repair_order_id == "ro1" and tenant == Tenant("dg", "s1")


async def test_another_stores_advisor_is_forbidden_and_another_group_sees_nothing(uow):
    elsewhere = uow.as_actor(advisor(store="s2", user="adv-wang"))
    with pytest.raises(Forbidden) as e:
        await appointments.cancel(elsewhere, c.CancelAppointment(version=1, reason="x").bind(appointment_id="a1"))
    assert e.value.status_code == 403
    with pytest.raises(Forbidden):
        await repair_orders.cancel(elsewhere, c.CancelOrder(version=2, reason="x").bind(repair_order_id="ro1"))
    other_group = uow.as_actor(advisor(group="dg-other"))
    with pytest.raises(NotFound) as e:
        await repair_orders.cancel(other_group, c.CancelOrder(version=2, reason="x").bind(repair_order_id="ro1"))
    assert e.value.status_code == 404 and e.value.field == "repair_order_id"
    assert uow.published == []


async def test_booking_for_a_store_outside_the_callers_is_forbidden_before_anything_is_read(uow):
    cmd = c.BookAppointment(store_id="s2", vehicle_id="v1", slot_start=SLOT,
                            jobs=[c.JobRequest(description="oil", flat_rate_hours=D(1))])
    with pytest.raises(Forbidden):
        await appointments.book(uow, cmd)  # the in-memory unit of work has no session: nothing else was asked
    assert uow.published == []


async def test_figures_give_a_group_role_every_week_of_each_store_with_work_and_a_store_user_only_theirs(clock):
    analyst = Principal(user_id="g", name="g", dealer_group_id="dg", roles=frozenset({Role.GROUP_ANALYST}))
    u = InMemoryUnitOfWork(clock=clock, actor=analyst)
    await u.repo(RepairOrders).add(opened_order("ro1", "s1"))  # opened Tuesday 1 December
    this, nxt = date(2026, 11, 30), date(2026, 12, 7)
    answer = await figures.figures(u, date_from=this, date_to=nxt, granularity=Granularity.WEEK, store_id=None)
    assert {(f.store_id, f.period): f.value for f in answer.figures if f.kpi == "vehicles_in"} == {
        ("s1", this): 1, ("s1", nxt): 0}  # the week without work too; no store without work
    with pytest.raises(Forbidden):
        await figures.figures(u.as_actor(advisor("s2")), date_from=this, date_to=nxt, granularity=Granularity.WEEK,
                              store_id="s1")
