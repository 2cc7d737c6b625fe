"""Follow-up calls (回访): every delivered vehicle's customer is called 1-3 days after pickup.

No call is made before the planned period opens (`due_from`), and calls are recorded in the
order they were made. An unreachable customer is called at least 3 times, in different call
windows; a window is one day's slot (this morning and tomorrow morning are two windows), and a
retry is never in a window where this round's call already went unanswered. A follow-up fails
only on a wrong number, details that do not match the record, a refusal, or no answer in 3 or
more different windows (回访失败). A failed follow-up goes back to the advisor to correct the
details, then is tried again.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import ClassVar

from pydantic import BaseModel, Field, field_serializer
from shared.contracts.crm import FollowUpAttempted, FollowUpCompleted, FollowUpFailed, FollowUpScheduled
from shared.errors import Conflict, DomainError
from shared.kit import Aggregate

from .call_windows import (
    STANDARD_WINDOWS,
    CallWindow,
    follow_up_period,
    next_window_start,
    parse_contact_window,
    window_of,
)

MIN_ATTEMPTS_BEFORE_NO_ANSWER_FAILS = 3


class FollowUpStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    FAILED = "failed"


class AttemptOutcome(StrEnum):
    """What happened on one call. The first two mean: try again (须继续回访)."""

    NO_ANSWER = "no_answer"              # busy, no answer, switched off, call rejected, not beside the phone
    CALL_BACK_LATER = "call_back_later"  # reached, but asked to be called at another time
    WRONG_NUMBER = "wrong_number"
    DETAILS_MISMATCH = "details_mismatch"
    REFUSED = "refused"
    REACHED = "reached"                  # recorded by completing the follow-up

    @property
    def unanswered(self) -> bool:
        """Nobody answered (无人接听): the calls that count towards failing for no answer, 3 windows or more.

        A customer who picked up and asked to be called another time (call_back_later) answered: the
        number and the person are right, so it is no reason to send the record back to the advisor."""
        return self is AttemptOutcome.NO_ANSWER


class FailureReason(StrEnum):
    """The only reasons a follow-up may fail."""

    WRONG_NUMBER = "wrong_number"
    DETAILS_MISMATCH = "details_mismatch"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"


_FAILS_AT_ONCE = {AttemptOutcome.WRONG_NUMBER, AttemptOutcome.DETAILS_MISMATCH, AttemptOutcome.REFUSED}


class Attempt(BaseModel):
    no: int
    round: int
    called_at: datetime
    outcome: AttemptOutcome
    window: str                      # the slot: morning, afternoon, customer-1...
    window_date: date | None = None  # the store's local day of the call (absent on calls recorded before it was)
    note: str | None = None
    agent_id: str | None = None

    @field_serializer("called_at")
    def _as_given(self, at: datetime) -> str:
        return at.isoformat()  # with the caller's offset, as the call was recorded

    @property
    def call_window(self) -> tuple[date, str]:
        """The window the call was made in: its day and its slot."""
        return (self.window_date or self.called_at.date(), self.window)


def _windows(contact_window: str | None) -> list[CallWindow]:
    try:
        own = parse_contact_window(contact_window)
    except DomainError:
        own = []
    return own + list(STANDARD_WINDOWS)


class FollowUp(Aggregate):
    kind: ClassVar[str] = "follow-up"
    TRANSITIONS: ClassVar[dict[str, set]] = {
        "record an attempt": {FollowUpStatus.SCHEDULED},
        "fail": {FollowUpStatus.SCHEDULED},
        "complete": {FollowUpStatus.SCHEDULED},
        "retry": {FollowUpStatus.FAILED},
    }

    repair_order_id: str
    customer_id: str
    vehicle_id: str
    advisor_id: str | None
    delivered_at: datetime
    due_from: datetime
    due_to: datetime
    status: FollowUpStatus = FollowUpStatus.SCHEDULED
    round: int = 1
    # default_factory: pydantic deep-copies a mutable default on each new follow-up (one per delivery)
    attempts: list[Attempt] = Field(default_factory=list)
    failure_reason: FailureReason | None = None
    failed_at: datetime | None = None
    satisfaction: int | None = None
    answers: dict[str, int] = Field(default_factory=dict)
    comments: str | None = None
    complaint_id: str | None = None
    next_service_date: date | None = None
    completed_at: datetime | None = None

    # -- scheduling ------------------------------------------------------------------------
    @classmethod
    def schedule(cls, *, dealer_group_id: str, store_id: str, repair_order_id: str, customer_id: str,
                 vehicle_id: str, advisor_id: str | None, delivered_at: datetime, contact_window: str | None,
                 tz: tzinfo) -> FollowUp:
        """Plan the call 1-3 days after pickup, in the customer's own window when they gave one."""
        try:
            own = parse_contact_window(contact_window)
        except DomainError:
            own = []
        due_from, due_to = follow_up_period(delivered_at, own or list(STANDARD_WINDOWS), tz)
        f = cls(id=str(uuid.uuid4()), dealer_group_id=dealer_group_id, store_id=store_id,
                repair_order_id=repair_order_id, customer_id=customer_id, vehicle_id=vehicle_id,
                advisor_id=advisor_id, delivered_at=delivered_at, due_from=due_from, due_to=due_to)
        f.raise_event(f._scheduled())
        return f

    def _scheduled(self) -> FollowUpScheduled:
        return FollowUpScheduled(follow_up_id=self.id, repair_order_id=self.repair_order_id,
                                 customer_id=self.customer_id, vehicle_id=self.vehicle_id,
                                 advisor_id=self.advisor_id, due_from=self.due_from, due_to=self.due_to)

    # -- calls -----------------------------------------------------------------------------
    def round_attempts(self) -> list[Attempt]:
        return [a for a in self.attempts if a.round == self.round]

    def unanswered_attempts(self) -> int:
        return sum(1 for a in self.round_attempts() if a.outcome.unanswered)

    def unanswered_windows(self) -> set[tuple[date, str]]:
        """The different windows (day and slot) in which this round's calls went unanswered."""
        return {a.call_window for a in self.round_attempts() if a.outcome.unanswered}

    def _check_call_time(self, called_at: datetime, *, now: datetime, contact_window: str | None,
                         tz: tzinfo, outcome: AttemptOutcome) -> tuple[CallWindow, date]:
        """The call's window (slot and local day), or why it cannot be recorded."""
        if called_at.tzinfo is None:
            raise DomainError("called_at needs a time zone", field="called_at")
        if called_at > now:
            raise DomainError("called_at is in the future", field="called_at")
        if called_at < self.delivered_at:
            raise DomainError("called_at is before the vehicle was delivered", field="called_at")
        self._check_period_open(called_at, tz)
        self._check_in_order(called_at)
        windows = _windows(contact_window)
        w = window_of(called_at, windows, tz)
        if w is None:
            local = called_at.astimezone(tz)
            raise DomainError(
                f"{local:%H:%M} is outside the call windows ({', '.join(str(x) for x in windows)})",
                field="called_at")
        day = called_at.astimezone(tz).date()
        if (outcome.unanswered or outcome == AttemptOutcome.REACHED) and (day, w.name) in self.unanswered_windows():
            raise DomainError(f"a call in this window ({day}, {w.name}) already went unanswered: "
                              "retry in a different window", field="called_at")
        return w, day

    def _check_period_open(self, called_at: datetime, tz: tzinfo) -> None:
        """No follow-up call before its planned period opens (1-3 days after pickup)."""
        if called_at < self.due_from:
            opens = self.due_from.astimezone(tz)
            raise Conflict(f"the follow-up opens at {opens:%Y-%m-%d %H:%M} (1-3 days after pickup): "
                           "call the customer then", field="called_at", due_from=opens.isoformat(),
                           current_state=self.status.value)

    def _check_in_order(self, called_at: datetime) -> None:
        """Calls are recorded as they happen: none dated before the last one recorded."""
        if self.attempts and called_at < self.attempts[-1].called_at:
            last = self.attempts[-1].called_at
            raise Conflict(f"the last call was recorded at {last.isoformat()}: a call cannot be dated before it",
                           field="called_at", last_called_at=last.isoformat())

    def record_attempt(self, *, called_at: datetime, outcome: AttemptOutcome, now: datetime,
                       contact_window: str | None, tz: tzinfo, note: str | None = None,
                       agent_id: str | None = None) -> Attempt:
        """Record a call that did not complete the follow-up. A wrong number, mismatching details or a
        refusal fail it at once; no answer plans a retry in another window."""
        self.require("record an attempt")
        if outcome == AttemptOutcome.REACHED:
            raise DomainError("a call that reached the customer is recorded by completing the follow-up",
                              field="outcome")
        w, day = self._check_call_time(called_at, now=now, contact_window=contact_window, tz=tz, outcome=outcome)
        attempt = Attempt(no=len(self.attempts) + 1, round=self.round, called_at=called_at, outcome=outcome,
                          window=w.name, window_date=day, note=note, agent_id=agent_id)
        self.attempts.append(attempt)
        next_at = None
        if outcome.unanswered:
            next_at = next_window_start(max(called_at, now), _windows(contact_window), tz, avoid=w)
        self.changed()
        self.raise_event(FollowUpAttempted(follow_up_id=self.id, attempt_no=attempt.no, outcome=outcome.value,
                                             called_at=called_at, next_attempt_at=next_at))
        if outcome in _FAILS_AT_ONCE:
            self._fail(FailureReason(outcome.value), now)
        return attempt

    def fail(self, reason: str, *, now: datetime) -> None:
        """Give up on the follow-up. Allowed only for the four reasons; no answer needs ≥3 unanswered calls."""
        self.require("fail")
        try:
            r = FailureReason(reason)
        except ValueError:
            raise DomainError(
                f"{reason!r} is not a reason a follow-up may fail for "
                f"({', '.join(x.value for x in FailureReason)})", field="reason") from None
        if r == FailureReason.NO_ANSWER:
            n = len(self.unanswered_windows())
            if n < MIN_ATTEMPTS_BEFORE_NO_ANSWER_FAILS:
                raise DomainError(f"unanswered in only {n} call window(s): at least "
                                  f"{MIN_ATTEMPTS_BEFORE_NO_ANSWER_FAILS} attempts in different windows "
                                  "before a follow-up fails for no answer", field="reason",
                                  unanswered_windows=n)
        elif not any(a.outcome.value == r.value for a in self.round_attempts()):
            raise DomainError(f"record the call that found {r.value} first", field="reason")
        self.changed()
        self._fail(r, now)

    def _fail(self, reason: FailureReason, now: datetime) -> None:
        self.status = FollowUpStatus.FAILED
        self.failure_reason = reason
        self.failed_at = now
        self.raise_event(FollowUpFailed(
            follow_up_id=self.id, repair_order_id=self.repair_order_id, customer_id=self.customer_id,
            advisor_id=self.advisor_id, reason=reason.value, attempts=len(self.round_attempts())))

    def complete(self, *, called_at: datetime, now: datetime, contact_window: str | None, tz: tzinfo,
                 satisfaction: int, answers: dict[str, int], comments: str | None,
                 next_service_date: date | None, complaint_id: str | None = None,
                 agent_id: str | None = None) -> None:
        """The customer was reached: satisfaction (1-5, and per question), comments, the next service date."""
        self.require("complete")
        if not 1 <= satisfaction <= 5:
            raise DomainError("satisfaction is 1 to 5", field="satisfaction")
        for q, score in answers.items():
            if not 1 <= score <= 5:
                raise DomainError(f"answer to {q!r} must be 1 to 5", field="answers")
        if next_service_date is None:
            raise DomainError("end the call with the next service reminder date", field="next_service_date")
        if next_service_date <= called_at.date():
            raise DomainError("the next service date must lie ahead", field="next_service_date")
        w, day = self._check_call_time(called_at, now=now, contact_window=contact_window, tz=tz,
                                       outcome=AttemptOutcome.REACHED)
        self.attempts.append(Attempt(no=len(self.attempts) + 1, round=self.round, called_at=called_at,
                                     outcome=AttemptOutcome.REACHED, window=w.name, window_date=day,
                                     agent_id=agent_id))
        self.status = FollowUpStatus.COMPLETED
        self.satisfaction, self.answers, self.comments = satisfaction, dict(answers), comments
        self.next_service_date, self.complaint_id, self.completed_at = next_service_date, complaint_id, called_at
        self.changed()
        self.raise_event(FollowUpAttempted(follow_up_id=self.id, attempt_no=len(self.attempts),
                                             outcome=AttemptOutcome.REACHED.value, called_at=called_at))
        self.raise_event(FollowUpCompleted(
            follow_up_id=self.id, repair_order_id=self.repair_order_id, satisfaction=satisfaction,
            answers=dict(answers), comments=comments, complaint_id=complaint_id, next_service_date=next_service_date))

    def retry_after_correction(self, *, now: datetime, contact_window: str | None, tz: tzinfo) -> None:
        """The advisor corrected the customer's details: a new round of calls, starting at the next window."""
        self.require("retry")
        self.round += 1
        self.status = FollowUpStatus.SCHEDULED
        self.failure_reason = None
        self.failed_at = None
        windows = _windows(contact_window)
        self.due_from = next_window_start(now, windows, tz)
        _, self.due_to = follow_up_period(now, windows, tz)
        self.changed()
        self.raise_event(self._scheduled())
