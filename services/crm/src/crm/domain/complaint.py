"""Complaint tickets (客户投诉工联单).

A complaint arrives by one of the channels, is classed (抱怨 grumble, 一般 general, 中级
medium, 强烈 severe), goes to the general manager who assigns a department and a deadline,
gets an agreed remedy, and closes only when the customer confirms it is resolved (闭环).
A closed or resolved ticket can be reopened.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, field_serializer
from shared.contracts.crm import (
    ComplaintAssigned,
    ComplaintClosed,
    ComplaintOpened,
    ComplaintReopened,
    ComplaintResolved,
)
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

CUSTOMER_CONFIRMATION = "the customer's confirmation that the complaint is resolved (customer_confirmed: true)"


class ComplaintChannel(StrEnum):
    PHONE = "phone"
    FOLLOW_UP_CALL = "follow_up_call"
    IN_PERSON = "in_person"
    LETTER = "letter"
    EMAIL = "email"
    WEBSITE = "website"
    SOCIAL_MEDIA = "social_media"  # social media and forums
    WECHAT = "wechat"
    GOVERNMENT = "government"      # a government body passed it on


class ComplaintSeverity(StrEnum):
    GRUMBLE = "grumble"
    GENERAL = "general"
    MEDIUM = "medium"
    SEVERE = "severe"


class ComplaintStatus(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"   # remedy agreed and carried out; waiting for the customer's confirmation
    CLOSED = "closed"
    REOPENED = "reopened"


class HistoryEntry(BaseModel):
    """One step of the ticket: when, what, and its details (department, remedy, reason...)."""

    model_config = ConfigDict(extra="allow")

    at: datetime
    what: str

    @field_serializer("at")
    def _as_given(self, at: datetime) -> str:
        return at.isoformat()


class Complaint(Aggregate):
    kind: ClassVar[str] = "complaint"
    TRANSITIONS: ClassVar[dict[str, set]] = {
        "assign": {ComplaintStatus.OPEN, ComplaintStatus.ASSIGNED, ComplaintStatus.REOPENED},
        "resolve": {ComplaintStatus.ASSIGNED},
        "close": {ComplaintStatus.RESOLVED},
        "reopen": {ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED},
    }

    customer_id: str
    channel: ComplaintChannel
    severity: ComplaintSeverity
    summary: str
    opened_at: datetime
    vehicle_id: str | None = None
    repair_order_id: str | None = None
    follow_up_id: str | None = None
    status: ComplaintStatus = ComplaintStatus.OPEN
    department: str | None = None
    deadline: datetime | None = None
    assigned_by: str | None = None
    remedy: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    history: list[HistoryEntry] = []

    @classmethod
    def open(cls, *, dealer_group_id: str, store_id: str, customer_id: str, channel: str, severity: str,
             summary: str, now: datetime, vehicle_id: str | None = None, repair_order_id: str | None = None,
             follow_up_id: str | None = None) -> Complaint:
        try:
            ch = ComplaintChannel(channel)
        except ValueError:
            raise DomainError(f"unknown channel {channel!r} ({', '.join(ComplaintChannel)})", field="channel") from None
        try:
            sev = ComplaintSeverity(severity)
        except ValueError:
            raise DomainError(f"unknown class {severity!r} ({', '.join(ComplaintSeverity)})",
                              field="severity") from None
        summary = summary.strip()
        if not summary:
            raise DomainError("say what the customer complains about", field="summary")
        c = cls(id=str(uuid.uuid4()), dealer_group_id=dealer_group_id, store_id=store_id, customer_id=customer_id,
                channel=ch, severity=sev, summary=summary, opened_at=now, vehicle_id=vehicle_id,
                repair_order_id=repair_order_id, follow_up_id=follow_up_id)
        c._log(now, "opened")
        c.raise_event(ComplaintOpened(complaint_id=c.id, customer_id=customer_id, vehicle_id=vehicle_id,
                                        repair_order_id=repair_order_id, follow_up_id=follow_up_id,
                                        channel=ch.value, severity=sev.value, summary=summary))
        return c

    def _log(self, at: datetime, what: str, **details) -> None:
        self.history.append(HistoryEntry(at=at, what=what, **details))

    def assign(self, *, department: str, deadline: datetime, by: str, now: datetime) -> None:
        """The general manager sends the ticket to a department with a deadline to close the loop."""
        self.require("assign")
        department = department.strip()
        if not department:
            raise DomainError("name the department", field="department")
        if deadline.tzinfo is None:
            raise DomainError("deadline needs a time zone", field="deadline")
        if deadline <= now:
            raise DomainError("the deadline must lie ahead", field="deadline")
        self.status, self.department, self.deadline, self.assigned_by = (
            ComplaintStatus.ASSIGNED, department, deadline, by)
        self.changed()
        self._log(now, "assigned", department=department, deadline=deadline.isoformat(), by=by)
        self.raise_event(ComplaintAssigned(complaint_id=self.id, department=department, deadline=deadline,
                                             assigned_by=by))

    def resolve(self, *, remedy: str, now: datetime) -> None:
        """Record the remedy agreed with the customer and carried out."""
        self.require("resolve")
        remedy = remedy.strip()
        if not remedy:
            raise DomainError("record the agreed remedy", field="remedy")
        self.status, self.remedy, self.resolved_at = ComplaintStatus.RESOLVED, remedy, now
        self.changed()
        self._log(now, "resolved", remedy=remedy)
        self.raise_event(ComplaintResolved(complaint_id=self.id, remedy=remedy))

    def close(self, *, customer_confirmed: bool, now: datetime) -> None:
        """Close the loop (闭环): only once the customer confirms the complaint is resolved."""
        self.require("close")
        if not customer_confirmed:
            raise Conflict(f"complaint is {self.status.value}: it closes only when the customer confirms "
                           "it is resolved", current_state=self.status.value, command="close",
                           missing=[CUSTOMER_CONFIRMATION])
        self.status, self.closed_at = ComplaintStatus.CLOSED, now
        self.changed()
        self._log(now, "closed")
        self.raise_event(ComplaintClosed(complaint_id=self.id, confirmed_by_customer_at=now))

    def reopen(self, *, reason: str, now: datetime) -> None:
        self.require("reopen")
        reason = reason.strip()
        if not reason:
            raise DomainError("say why the complaint is reopened", field="reason")
        self.status, self.closed_at, self.deadline = ComplaintStatus.REOPENED, None, None
        self.changed()
        self._log(now, "reopened", reason=reason)
        self.raise_event(ComplaintReopened(complaint_id=self.id, reason=reason))

    def is_overdue(self, now: datetime) -> bool:
        """Past its deadline and not yet resolved."""
        return (self.deadline is not None and now > self.deadline
                and self.status in (ComplaintStatus.ASSIGNED, ComplaintStatus.REOPENED))
