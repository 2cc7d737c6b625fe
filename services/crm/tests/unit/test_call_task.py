"""Call tasks as plain rules: open until a call settles it; no answer keeps it open; a visit cancels it."""

from datetime import UTC, date, datetime

import pytest
from crm.domain.call_task import CallOutcome, CallTask, CallTaskStatus, call_told_about
from crm.domain.model import Customer
from crm.domain.reminders import Reminder, TaskKind
from shared.contracts.crm import CustomerUpdated
from shared.errors import DomainError, InvalidTransition

NOW = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)


def task(kind=TaskKind.INSURANCE_EXPIRING) -> CallTask:
    r = Reminder(kind, "v-1", "c-1", "s-001", date(2026, 5, 16), f"{kind.value}:v-1:2026-06-15", "call them")
    return CallTask.for_reminder(r, dealer_group_id="dg")


def customer() -> Customer:
    c = Customer.register(dealer_group_id="dg", store_id="s-001", kind="person", name="王伟", phones=["13800138000"])
    c.events.clear()
    return c


def test_a_reminder_becomes_an_open_task_with_its_dedupe_key():
    t = task()
    assert t.status == CallTaskStatus.OPEN and t.task_kind == TaskKind.INSURANCE_EXPIRING
    assert t.dedupe_key == "insurance_expiring:v-1:2026-06-15" and t.due_on == date(2026, 5, 16)


def test_no_answer_keeps_the_task_open_and_notes_the_attempt():
    t = task()
    assert t.record_call("no_answer", reason=None, note="busy", now=NOW, by="agent-1") == CallOutcome.NO_ANSWER
    t.record_call("no_answer", reason=None, note=None, now=NOW, by="agent-1")
    assert t.status == CallTaskStatus.OPEN and t.outcome is None and t.version == 3
    assert t.note == f"{NOW.isoformat()} no answer: busy\n{NOW.isoformat()} no answer"


def test_a_reached_call_settles_the_task():
    t = task()
    t.record_call("reached", reason=None, note="renews with PICC", now=NOW, by="agent-1")
    assert (t.status, t.outcome, t.note, t.done_by, t.done_at) == (CallTaskStatus.DONE, "reached", "renews with PICC",
                                                                  "agent-1", NOW)
    with pytest.raises(InvalidTransition):
        t.record_call("reached", reason=None, note=None, now=NOW, by="agent-1")


def test_a_reached_lapsed_customer_needs_a_reason_and_unknown_outcomes_are_refused():
    t = task(TaskKind.LAPSED_CUSTOMER)
    with pytest.raises(DomainError) as e:
        t.record_call("reached", reason="  ", note=None, now=NOW, by="agent-1")
    assert e.value.field == "reason"
    with pytest.raises(DomainError) as e:
        t.record_call("hung_up", reason=None, note=None, now=NOW, by="agent-1")
    assert e.value.field == "outcome"
    assert t.version == 1
    t.record_call("reached", reason="moved away", note=None, now=NOW, by="agent-1")
    assert t.reason == "moved away"


def test_a_visit_or_a_return_cancels_the_task():
    t = task(TaskKind.MAINTENANCE_DUE)
    t.cancel_for_visit(NOW)
    assert (t.status, t.outcome, t.done_at) == (CallTaskStatus.CANCELLED, "visited", NOW)
    lapsed = task(TaskKind.LAPSED_CUSTOMER)
    lapsed.customer_came_back("ro-9", NOW)
    assert (lapsed.status, lapsed.outcome, lapsed.returned_repair_order_id) == (CallTaskStatus.CANCELLED,
                                                                                "came_back", "ro-9")
    done = task(TaskKind.LAPSED_CUSTOMER)
    done.record_call("reached", reason="price", note=None, now=NOW, by="agent-1")
    done.customer_came_back("ro-9", NOW)
    assert done.status == CallTaskStatus.DONE and done.returned_repair_order_id == "ro-9"


def test_what_the_call_found_out_changes_the_customer():
    c = customer()
    call_told_about(c, CallOutcome.NO_ANSWER, date(2026, 5, 10))
    call_told_about(c, CallOutcome.WRONG_NUMBER, date(2026, 5, 11))
    assert c.unreachable_since == date(2026, 5, 10) and c.version == 1 and not c.events
    call_told_about(c, CallOutcome.REACHED, date(2026, 5, 12))
    assert c.unreachable_since is None
    call_told_about(c, CallOutcome.REFUSED_CONTACT, date(2026, 5, 12))
    assert c.consent_to_call is False and c.version == 2 and isinstance(c.events[-1], CustomerUpdated)
