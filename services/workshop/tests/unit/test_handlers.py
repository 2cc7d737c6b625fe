"""Handlers on the in-memory unit of work: no PostgreSQL, no Kafka."""

from datetime import datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.contracts import reception
from shared.contracts.common import PayType, RepairJob
from shared.errors import DomainError, Forbidden, InvalidTransition, NotFound
from shared.kit import InMemoryUnitOfWork
from shared.messaging.envelope import Envelope, Tenant
from workshop.adapters.repository import WorkOrders
from workshop.domain.work_order import JobState
from workshop.service_layer import commands as c
from workshop.service_layer import facts, shop, work_orders

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SH)


def person(user: str, *roles: Role, store: str = "s1") -> Principal:
    return Principal(user_id=user, name=user, dealer_group_id="dg", roles=frozenset(roles),
                     store_ids=frozenset({store}))


SUPERVISOR = person("sup-zhao", Role.WORKSHOP_SUPERVISOR)
TECH = person("t-qian", Role.TECHNICIAN)
LEADER = person("l-sun", Role.TEAM_LEADER)
QC = person("qc-li", Role.QC_INSPECTOR)


def opened(ro_id="ro1") -> reception.RepairOrderOpened:
    return reception.RepairOrderOpened(
        repair_order_id=ro_id, number="s1-RO000001", vehicle_id="v1", customer_id="c1", advisor_id="adv",
        promised_at=NOW + timedelta(hours=4), wash=False, transport="waits", jobs=[
            RepairJob(job_id="j1", operation_code="BRK-F", description="front pads", pay_type=PayType.CUSTOMER,
                      flat_rate_hours=D("1.5")),
            RepairJob(job_id="j2", description="electrical fault", pay_type=PayType.CUSTOMER,
                      flat_rate_hours=D(1))])


@pytest.fixture
async def uow() -> InMemoryUnitOfWork:
    """A supervisor's unit of work on store s1 with a team, two technicians, a shift and ro1 queued."""
    u = InMemoryUnitOfWork(clock=FixedClock(NOW), actor=SUPERVISOR)
    await shop.set_team(u, c.SetTeam(name="机修一组", leader_id="l-sun").bind(store_id="s1", team_id="a"))
    for tid, skills in (("t-qian", ["mechanical"]), ("t-zhou", ["mechanical", "electrical"])):
        await shop.set_technician(u, c.SetTechnician(name=tid, team_id="a", grade="mid", skills=skills)
                                  .bind(store_id="s1", technician_id=tid))
    await shop.set_shift(u, c.SetShift(team_id="a", weekdays=[0, 1, 2, 3, 4], start=time(8), end=time(17))
                         .bind(store_id="s1", shift_id="day"))
    await shop.define_operation(u, c.DefineOperation(description="front pads", flat_rate_hours=D("1.5"),
                                                     skill="mechanical").bind(store_id="s1", operation_code="BRK-F"))
    consumer = u.as_actor(Principal.service("dg", "workshop.repair-orders"))
    consumer.envelope = Envelope.new(opened(), source="reception", tenant=Tenant("dg", "s1"))
    await facts.repair_order_opened(consumer, opened())
    return u


async def test_shifts_publish_two_weeks_of_capacity_and_the_operation_code(uow):
    types = uow.event_types()
    assert types.count("LabourOperationDefined") == 1
    caps = [e for e, _ in uow.published if type(e).__name__ == "WorkshopCapacitySet"]
    assert {e.day for e in caps} == {NOW.date() + timedelta(days=n) for n in range(14)}
    latest = {e.day: e.technician_hours for e in caps}
    assert latest[NOW.date()] == D("16.00")  # 8 h × 2 technicians (Tuesday)


async def test_the_queue_is_filled_once_even_if_the_order_arrives_twice(uow):
    consumer = uow.as_actor(Principal.service("dg", "workshop.repair-orders"))
    consumer.envelope = Envelope.new(opened(), source="reception", tenant=Tenant("dg", "s1"))
    assert await facts.repair_order_opened(consumer, opened()) is None
    wo = await uow.repo(WorkOrders).get("ro1", lock=False)
    assert [j.job_id for j in wo.jobs] == ["j1", "j2"] and all(j.state is JobState.QUEUED for j in wo.jobs)


async def test_dispatch_refuses_an_unknown_technician_and_a_missing_skill_and_changes_nothing(uow):
    uow.published.clear()
    with pytest.raises(NotFound) as e:
        await work_orders.dispatch(uow, c.Dispatch(technician_id="t-ghost").bind(repair_order_id="ro1",
                                                                                 job_id="j1"))
    assert e.value.field == "technician_id" and "t-ghost" in e.value.message
    wo = await uow.repo(WorkOrders).get("ro1", lock=False)
    wo.jobs[1].skill = "electrical"
    await uow.repo(WorkOrders).save(wo)
    with pytest.raises(DomainError) as e:
        await work_orders.dispatch(uow, c.Dispatch(technician_id="t-qian").bind(repair_order_id="ro1",
                                                                                job_id="j2"))
    assert "lacks the skill electrical" in e.value.message
    assert uow.published == [] and (await uow.repo(WorkOrders).get("ro1", lock=False)).jobs[0].state is JobState.QUEUED
    wo = await work_orders.dispatch(uow, c.Dispatch().bind(repair_order_id="ro1", job_id="j2"))
    assert wo.job("j2").technician_id == "t-zhou"  # the recommendation: the only electrician


async def test_the_whole_floor_from_dispatch_to_ready_for_pickup(uow):
    ids = dict(repair_order_id="ro1")
    for job, tech in (("j1", "t-qian"), ("j2", "t-zhou")):
        await work_orders.dispatch(uow, c.Dispatch(technician_id=tech).bind(job_id=job, **ids))
    for job, tech in (("j1", "t-qian"), ("j2", "t-zhou")):
        t = uow.as_actor(person(tech, Role.TECHNICIAN))
        await work_orders.start(t, c.StartJob().bind(job_id=job, **ids))
        with pytest.raises(InvalidTransition):
            await work_orders.inspect(t, c.Inspect(stage="self", passed=True).bind(job_id=job, **ids))
        await work_orders.complete(t, c.CompleteJob().bind(job_id=job, **ids))
        await work_orders.inspect(t, c.Inspect(stage="self", passed=True).bind(job_id=job, **ids))
    with pytest.raises(Forbidden):  # the team leader's stage is not for the technician who did the job
        await work_orders.inspect(uow.as_actor(TECH), c.Inspect(stage="team_leader", passed=True)
                                  .bind(job_id="j2", **ids))
    uow.published.clear()
    for job in ("j1", "j2"):
        await work_orders.inspect(uow.as_actor(LEADER), c.Inspect(stage="team_leader", passed=True)
                                  .bind(job_id=job, **ids))
        wo = await work_orders.inspect(uow.as_actor(QC), c.Inspect(stage="final", passed=True)
                                       .bind(job_id=job, **ids))
    assert uow.event_types().count("VehicleReadyForPickup") == 1 and wo.state.value == "ready_for_pickup"


async def test_a_technician_cannot_clock_on_for_someone_else(uow):
    await work_orders.dispatch(uow, c.Dispatch(technician_id="t-qian").bind(repair_order_id="ro1", job_id="j1"))
    other = uow.as_actor(person("t-zhou", Role.TECHNICIAN))
    with pytest.raises(Forbidden):
        await work_orders.start(other, c.StartJob(technician_id="t-qian").bind(repair_order_id="ro1", job_id="j1"))
    with pytest.raises(Forbidden):
        await work_orders.start(other, c.StartJob().bind(repair_order_id="ro1", job_id="j1"))


async def test_added_work_approved_joins_the_queue_and_declined_is_recorded(uow):
    await work_orders.dispatch(uow, c.Dispatch(technician_id="t-qian").bind(repair_order_id="ro1", job_id="j1"))
    t = uow.as_actor(TECH)
    await work_orders.start(t, c.StartJob().bind(repair_order_id="ro1", job_id="j1"))
    wo = await work_orders.record_finding(t, c.RecordFinding(description="rear pads at 2 mm", safety_related=True,
                                                             estimated_hours=D("0.8")).bind(repair_order_id="ro1",
                                                                                            job_id="j1"))
    found = uow.published[-1][0]
    assert type(found).__name__ == "AdditionalWorkFound" and found.safety_related and found.job_id == "j1"
    consumer = uow.as_actor(Principal.service("dg", "workshop.repair-orders"))
    approved = reception.AdditionalWorkApproved(
        repair_order_id="ro1", finding_id=wo.findings[0].finding_id, estimate_version=2,
        job=RepairJob(job_id="j3", description="rear pads", pay_type=PayType.CUSTOMER, flat_rate_hours=D("0.8")))
    await facts.added_work_approved(consumer, approved)
    await facts.added_work_approved(consumer, approved)
    wo = await uow.repo(WorkOrders).get("ro1", lock=False)
    assert [j.job_id for j in wo.jobs] == ["j1", "j2", "j3"] and wo.findings[0].status == "approved"
