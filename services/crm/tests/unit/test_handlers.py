"""crm's command handlers on the in-memory unit of work: no PostgreSQL, no Kafka."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from crm.adapters.repository import CallTasks, Complaints, Customers, FollowUps
from crm.config import Settings
from crm.domain.call_task import CallTask
from crm.domain.follow_up import FollowUp
from crm.domain.model import Customer
from crm.domain.reminders import Reminder, TaskKind
from crm.service_layer import call_tasks, complaints, follow_ups
from crm.service_layer.commands import (
    AttemptCreate,
    CallTaskDone,
    ComplaintAssign,
    ComplaintClose,
    ComplaintCreate,
    ComplaintResolve,
    FollowUpComplete,
)
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.errors import Conflict, Forbidden, StaleVersion
from shared.kit import InMemoryUnitOfWork

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 2, 15, 0, tzinfo=SH)


def person(user: str, *roles: Role, stores=("s-001",)) -> Principal:
    return Principal(user_id=user, name=user, dealer_group_id="dg", roles=frozenset(roles), store_ids=frozenset(stores))


AGENT = person("agent-1", Role.CUSTOMER_CARE)
GM = person("gm-1", Role.GENERAL_MANAGER)


@pytest.fixture
async def uow() -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork(clock=FixedClock(NOW), settings=Settings(), actor=AGENT)
    customer = Customer.register(id="c-1", dealer_group_id="dg", store_id="s-001", kind="person", name="王伟",
                                 phones=["13800138000"])
    await uow.repo(Customers).add(customer)
    uow.published.clear()
    return uow


async def scheduled(uow: InMemoryUnitOfWork) -> FollowUp:
    f = FollowUp.schedule(dealer_group_id="dg", store_id="s-001", repair_order_id="ro-1", customer_id="c-1",
                          vehicle_id="v-1", advisor_id="adv-1", delivered_at=NOW - timedelta(days=1),
                          contact_window=None, tz=SH)
    await uow.repo(FollowUps).add(f)
    uow.published.clear()
    return f


async def test_a_complaint_goes_round_the_loop_and_closes_only_on_the_customers_confirmation(uow):
    c = await complaints.open_complaint(uow, ComplaintCreate(store_id="s-001", customer_id="c-1", channel="phone",
                                                             severity="general", summary="waited too long"))
    gm = uow.as_actor(GM)
    await complaints.assign_complaint(gm, ComplaintAssign(department="reception", deadline=NOW + timedelta(days=2),
                                                          version=1).bind(complaint_id=c.id))
    await complaints.resolve_complaint(uow, ComplaintResolve(remedy="apology", version=2).bind(complaint_id=c.id))
    with pytest.raises(Conflict) as e:
        await complaints.close_complaint(uow, ComplaintClose(customer_confirmed=False, version=3)
                                         .bind(complaint_id=c.id))
    assert e.value.extra["current_state"] == "resolved" and e.value.extra["missing"]
    closed = await complaints.close_complaint(uow, ComplaintClose(customer_confirmed=True, version=3)
                                              .bind(complaint_id=c.id))
    assert closed.status == "closed" and closed.assigned_by == "gm-1" and closed.version == 4
    assert uow.event_types() == ["ComplaintOpened", "ComplaintAssigned", "ComplaintResolved", "ComplaintClosed"]
    stored = await uow.repo(Complaints).get(c.id, lock=False)
    assert [h.what for h in stored.history] == ["opened", "assigned", "resolved", "closed"]


async def test_an_unanswered_follow_up_call_marks_the_customer_unreachable(uow):
    f = await scheduled(uow)
    done = await follow_ups.record_attempt(uow, AttemptCreate(outcome="no_answer", version=1)
                                           .bind(follow_up_id=f.id))
    assert done.version == 2 and done.attempts[0].window == "afternoon" and done.attempts[0].agent_id == "agent-1"
    assert uow.event_types() == ["FollowUpAttempted"]
    assert (await uow.repo(Customers).get("c-1")).unreachable_since == date(2026, 6, 2)


async def test_a_completed_follow_up_can_open_a_complaint(uow):
    f = await scheduled(uow)
    done = await follow_ups.complete_follow_up(uow, FollowUpComplete.model_validate({
        "version": 1, "satisfaction": 2, "next_service_date": "2026-12-01",
        "complaint": {"severity": "medium", "summary": "late"}}).bind(follow_up_id=f.id))
    assert done.status == "completed" and done.complaint_id
    ticket = await uow.repo(Complaints).get(done.complaint_id)
    assert ticket.channel == "follow_up_call" and ticket.follow_up_id == f.id
    assert uow.event_types() == ["ComplaintOpened", "FollowUpAttempted", "FollowUpCompleted"]


async def test_a_refused_contact_withdraws_the_customers_consent(uow):
    r = Reminder(TaskKind.INSURANCE_EXPIRING, "v-1", "c-1", "s-001", date(2026, 6, 5), "k-1", "renewal")
    task = CallTask.for_reminder(r, dealer_group_id="dg")
    await uow.repo(CallTasks).add(task)
    done = await call_tasks.complete_call_task(uow, CallTaskDone(outcome="refused_contact", version=1)
                                               .bind(task_id=task.id))
    assert done.status == "done" and done.outcome == "refused_contact" and done.done_by == "agent-1"
    customer = await uow.repo(Customers).get("c-1")
    assert customer.consent_to_call is False and customer.version == 2
    assert uow.event_types() == ["CustomerUpdated"]


async def test_a_stale_version_is_refused_and_nothing_is_published(uow):
    f = await scheduled(uow)
    await follow_ups.record_attempt(uow, AttemptCreate(outcome="no_answer", version=1).bind(follow_up_id=f.id))
    uow.published.clear()
    with pytest.raises(StaleVersion) as e:
        await follow_ups.record_attempt(uow, AttemptCreate(outcome="no_answer", version=1,
                                                           called_at=NOW.replace(hour=10)).bind(follow_up_id=f.id))
    assert e.value.status_code == 409 and e.value.extra["current_version"] == 2
    assert uow.published == [] and len((await uow.repo(FollowUps).get(f.id)).attempts) == 1


async def test_another_stores_agent_is_forbidden(uow):
    f = await scheduled(uow)
    elsewhere = uow.as_actor(person("agent-9", Role.CUSTOMER_CARE, stores=("s-002",)))
    with pytest.raises(Forbidden):
        await follow_ups.record_attempt(elsewhere, AttemptCreate(outcome="no_answer", version=1)
                                        .bind(follow_up_id=f.id))
    with pytest.raises(Forbidden):
        await complaints.open_complaint(elsewhere, ComplaintCreate(
            store_id="s-001", customer_id="c-1", channel="phone", severity="general", summary="x"))
    assert uow.published == []
