"""Report figures and record rules, without I/O."""

from datetime import date

import pytest
from crm.domain.model import Customer, Vehicle
from crm.domain.reminders import Reading
from crm.domain.reports import ComplaintFacts, FollowUpFacts, SurveyFacts, monthly_report, weekly_follow_up_report
from shared.contracts.crm import CustomerUpdated, VehicleUpdated
from shared.errors import DomainError, StaleVersion
from shared.vin import with_check_digit


def test_weekly_report_figures():
    fs = ([FollowUpFacts("a1", "completed")] * 7 + [FollowUpFacts("a1", "failed", "no_answer")]
          + [FollowUpFacts("a2", "failed", "wrong_number"), FollowUpFacts("a2", "scheduled")])
    r = weekly_follow_up_report(date(2026, 6, 1), fs)
    assert (r["scheduled"], r["reached"], r["failed"], r["pending"]) == (10, 7, 2, 1)
    assert r["success_rate"] == "0.7000" and r["meets_target"] is False
    assert r["failures_by_reason"] == {"no_answer": 1, "wrong_number": 1}
    assert r["per_advisor"]["a1"]["success_rate"] == "0.8750"


def test_weekly_report_starts_on_monday():
    with pytest.raises(DomainError) as e:
        weekly_follow_up_report(date(2026, 6, 2), [])
    assert e.value.field == "week_start"


def test_monthly_report_severe_rate_against_visits():
    r = monthly_report("2026-05", visits=150,
                       surveys=[SurveyFacts(5, {"q": 4}), SurveyFacts(4, {"q": 5}), SurveyFacts(3)],
                       complaints=[ComplaintFacts("severe", "closed"), ComplaintFacts("severe", "assigned", True),
                                   ComplaintFacts("grumble", "closed")])
    assert r["satisfaction"]["average"] == "4.00" and r["satisfaction"]["per_question"] == {"q": "4.50"}
    assert r["complaints"]["closed"] == 2 and r["complaints"]["overdue"] == 1
    assert r["severe_complaint_rate"] == "0.0133" and r["meets_target"] is False
    assert r["due_by"] == "2026-06-03"


def customer():
    c = Customer.register(dealer_group_id="dg", store_id="s-001", kind="person", name="王伟",
                          phones=["13800138000"])
    c.events.clear()
    return c


def test_a_stale_version_is_refused():
    c = customer()
    c.update(expected_version=1, name="王伟伟")
    with pytest.raises(StaleVersion):
        c.update(expected_version=1, name="someone")
    assert c.name == "王伟伟" and c.version == 2 and isinstance(c.events[-1], CustomerUpdated)


def test_new_phone_numbers_make_an_unreachable_customer_callable_again():
    c = customer()
    c.unreachable_since = date(2026, 1, 1)
    c.update(expected_version=1, phones=["+86 139 0000 0000"])
    assert c.phones == ["13900000000"] and c.unreachable_since is None


def vehicle():
    v = Vehicle.register(dealer_group_id="dg", store_id="s-001", vin=with_check_digit("LSVAU2180N2183294"),
                         owner_customer_id="c-1")
    v.events.clear()
    return v


def test_the_odometer_may_not_go_backwards():
    v = vehicle()
    hist = [Reading(date(2026, 1, 1), 10000), Reading(date(2026, 3, 1), 15000)]
    with pytest.raises(DomainError) as e:
        v.record_odometer(read_on=date(2026, 4, 1), km=14000, history=hist)
    assert e.value.field == "km" and "backwards" in e.value.message
    assert v.record_odometer(read_on=date(2026, 4, 1), km=16000, history=hist)
    assert v.odometer_km == 16000 and isinstance(v.events[-1], VehicleUpdated)


def test_an_owner_change_needs_a_different_owner():
    v = vehicle()
    with pytest.raises(DomainError):
        v.change_owner(expected_version=1, new_owner_customer_id="c-1")
    v.change_owner(expected_version=1, new_owner_customer_id="c-2")
    assert v.owner_customer_id == "c-2" and v.events[-1].owner_customer_id == "c-2"
