"""Complaint tickets (工联单): assignment, deadlines, closing only on the customer's confirmation."""

from datetime import UTC, datetime, timedelta

import pytest
from crm.domain.complaint import CUSTOMER_CONFIRMATION, Complaint, ComplaintStatus
from shared.contracts.crm import ComplaintAssigned, ComplaintClosed, ComplaintOpened, ComplaintReopened
from shared.errors import Conflict, DomainError, InvalidTransition

NOW = datetime(2026, 6, 2, 2, 0, tzinfo=UTC)


def opened(**kw):
    args = dict(dealer_group_id="dg", store_id="s-001", customer_id="c-1", channel="wechat", severity="severe",
                summary="car returned dirty", now=NOW) | kw
    return Complaint.open(**args)


def resolved():
    c = opened()
    c.assign(department="workshop", deadline=NOW + timedelta(days=2), by="gm-1", now=NOW)
    c.resolve(remedy="free wash and apology", now=NOW + timedelta(hours=5))
    return c


def test_opening_publishes_the_ticket():
    c = opened()
    assert c.status == ComplaintStatus.OPEN
    assert isinstance(c.events[0], ComplaintOpened) and c.events[0].channel == "wechat"


@pytest.mark.parametrize("kw,field", [({"channel": "fax"}, "channel"), ({"severity": "furious"}, "severity"),
                                      ({"summary": "  "}, "summary")])
def test_unknown_channel_class_or_empty_summary_is_refused(kw, field):
    with pytest.raises(DomainError) as e:
        opened(**kw)
    assert e.value.field == field


@pytest.mark.parametrize("channel", ["phone", "follow_up_call", "in_person", "letter", "email", "website",
                                     "social_media", "wechat", "government"])
def test_every_channel_is_accepted(channel):
    assert opened(channel=channel).channel.value == channel


def test_closing_needs_the_customers_confirmation():
    c = resolved()
    version, events = c.version, len(c.events)
    with pytest.raises(Conflict) as e:
        c.close(customer_confirmed=False, now=NOW + timedelta(days=1))
    assert e.value.status_code == 409
    assert e.value.extra["current_state"] == "resolved" and e.value.extra["command"] == "close"
    assert e.value.extra["missing"] == [CUSTOMER_CONFIRMATION] and "customer_confirmed" in CUSTOMER_CONFIRMATION
    assert c.status == ComplaintStatus.RESOLVED and c.version == version and len(c.events) == events
    assert [h.what for h in c.history] == ["opened", "assigned", "resolved"]
    c.close(customer_confirmed=True, now=NOW + timedelta(days=1))
    assert c.status == ComplaintStatus.CLOSED and isinstance(c.events[-1], ComplaintClosed)


def test_a_ticket_without_an_agreed_remedy_cannot_close():
    c = opened()
    c.assign(department="workshop", deadline=NOW + timedelta(days=2), by="gm-1", now=NOW)
    with pytest.raises(InvalidTransition) as e:
        c.close(customer_confirmed=True, now=NOW)
    assert e.value.extra["current_state"] == "assigned"


def test_overdue_when_past_the_deadline_and_not_resolved():
    c = opened()
    c.assign(department="parts", deadline=NOW + timedelta(days=1), by="gm-1", now=NOW)
    assert isinstance(c.events[-1], ComplaintAssigned)
    assert not c.is_overdue(NOW + timedelta(hours=23))
    assert c.is_overdue(NOW + timedelta(days=1, minutes=1))
    c.resolve(remedy="part replaced", now=NOW + timedelta(days=2))
    assert not c.is_overdue(NOW + timedelta(days=3))


def test_a_deadline_in_the_past_is_refused():
    with pytest.raises(DomainError) as e:
        opened().assign(department="workshop", deadline=NOW - timedelta(hours=1), by="gm", now=NOW)
    assert e.value.field == "deadline"


def test_a_closed_ticket_can_be_reopened_and_assigned_again():
    c = resolved()
    c.close(customer_confirmed=True, now=NOW + timedelta(days=1))
    c.reopen(reason="the noise is back", now=NOW + timedelta(days=3))
    assert c.status == ComplaintStatus.REOPENED and isinstance(c.events[-1], ComplaintReopened)
    c.assign(department="workshop", deadline=NOW + timedelta(days=5), by="gm-1", now=NOW + timedelta(days=3))
    assert c.status == ComplaintStatus.ASSIGNED
    assert [h.what for h in c.history] == ["opened", "assigned", "resolved", "closed", "reopened", "assigned"]


def test_an_open_ticket_cannot_be_reopened():
    with pytest.raises(InvalidTransition):
        opened().reopen(reason="x", now=NOW)
