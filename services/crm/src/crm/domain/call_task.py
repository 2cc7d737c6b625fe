"""Call tasks: a call for a customer-care agent (a reminder, a lapsed customer, a return call,
declined work). A task is open until a call settles it; a visit or the customer's return
cancels it. What the call found out (no answer, refused contact) also changes the customer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from shared.errors import DomainError
from shared.kit import Aggregate

from .model import Customer
from .reminders import Reminder, TaskKind


class CallTaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    REFUSED_CONTACT = "refused_contact"


# Why a task was cancelled without a call (its `outcome`).
VISITED = "visited"
CAME_BACK = "came_back"
# The visit answers these reminders.
VISIT_CLOSES = frozenset({TaskKind.MAINTENANCE_DUE, TaskKind.FIRST_SERVICE})


class CallTask(Aggregate):
    kind: ClassVar[str] = "call task"
    TRANSITIONS: ClassVar[dict[str, set]] = {"record a call": {CallTaskStatus.OPEN}}

    task_kind: TaskKind  # `kind` in the API
    customer_id: str
    vehicle_id: str | None = None
    due_on: date
    detail: str
    dedupe_key: str  # one task per reminder key, however often the job runs
    status: CallTaskStatus = CallTaskStatus.OPEN
    outcome: str | None = None  # a CallOutcome, or why it was cancelled (visited, came_back)
    reason: str | None = None
    note: str | None = None
    returned_repair_order_id: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None

    @classmethod
    def for_reminder(cls, r: Reminder, *, dealer_group_id: str) -> CallTask:
        return cls(id=str(uuid.uuid4()), dealer_group_id=dealer_group_id, store_id=r.store_id, task_kind=r.kind,
                   customer_id=r.customer_id, vehicle_id=r.vehicle_id, due_on=r.due_on, detail=r.detail,
                   dedupe_key=r.key)

    def record_call(self, outcome: str, *, reason: str | None, note: str | None, now: datetime,
                    by: str) -> CallOutcome:
        """Record a reminder call. A lapsed-customer call records why they stayed away (流失原因);
        no answer keeps the task open, noting the attempt."""
        self.require("record a call")
        try:
            oc = CallOutcome(outcome)
        except ValueError:
            raise DomainError(f"unknown outcome {outcome!r} ({', '.join(CallOutcome)})", field="outcome") from None
        reason = (reason or "").strip() or None
        if self.task_kind == TaskKind.LAPSED_CUSTOMER and oc == CallOutcome.REACHED and not reason:
            raise DomainError("record why the customer stopped coming", field="reason")
        if oc == CallOutcome.NO_ANSWER:
            attempt = f"{now.isoformat()} no answer" + (f": {note}" if note else "")
            self.note = "\n".join(x for x in (self.note, attempt) if x)
        else:
            self.status, self.outcome, self.reason, self.note = CallTaskStatus.DONE, oc.value, reason, note or self.note
            self.done_at, self.done_by = now, by
        self.changed()
        return oc

    def cancel_for_visit(self, now: datetime) -> None:
        """The vehicle came in: the service reminder is answered."""
        self.status, self.outcome, self.done_at = CallTaskStatus.CANCELLED, VISITED, now
        self.changed()

    def customer_came_back(self, repair_order_id: str, now: datetime) -> None:
        """The lapsed customer returned with this repair order: no need to call about it any more."""
        self.returned_repair_order_id = repair_order_id
        if self.status == CallTaskStatus.OPEN:
            self.status, self.outcome, self.done_at = CallTaskStatus.CANCELLED, CAME_BACK, now
        self.changed()


def call_told_about(customer: Customer, outcome: CallOutcome, on: date) -> None:
    """What a call found out about the customer: unreachable, reachable again, or no more calls wanted."""
    if outcome in (CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER):
        customer.mark_unreachable(on)
    elif outcome == CallOutcome.REACHED:
        customer.mark_reached()
    elif outcome == CallOutcome.REFUSED_CONTACT:
        customer.update(expected_version=customer.version, consent_to_call=False)
