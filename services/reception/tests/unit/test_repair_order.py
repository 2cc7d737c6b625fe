"""The repair order: state machine, added work, delivery check, settlement."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from reception.domain.pricing import Job, PartItem, Signature, settle
from reception.domain.repair_order import (
    CheckInSheet,
    Finding,
    OldParts,
    PaymentMethod,
    RepairOrder,
    RoState,
    Transport,
    is_comeback,
    next_service,
)
from shared.contracts.common import PartLine
from shared.contracts.parts import PartsIssued
from shared.contracts.workshop import InspectionStage as Stage
from shared.errors import Conflict, DomainError, InvalidTransition, StaleVersion

CHECKS = (Stage.SELF, Stage.TEAM_LEADER, Stage.FINAL)

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
SIG = Signature(name="王伟", image_ref="sig/ro1.png", signed_at=NOW)


def sheet(**kw):
    base = dict(vin="LSVAU2180N2183294", odometer_km=12000, covers_fitted=True, customer_complaint="noise",
                checked_in_at=NOW)
    return CheckInSheet(**(base | kw))


def checked_in(**kw):
    return RepairOrder.check_in_vehicle(id="ro1", dealer_group_id="dg", store_id="s1", vehicle_id="v1",
                                        customer_id="c1", advisor_id="adv", sheet=sheet(**kw))


def a_job(jid="j1", parts=(("OIL", "4", "50"),), **kw):
    return Job(job_id=jid, description="oil change", flat_rate_hours=D(1), labour_rate=D(300),
               parts=[PartItem(part_no=n, quantity=D(q), unit_price=D(p)) for n, q, p in parts], **kw)


def opened(**kw):
    ro = checked_in()
    ro.open(number="RO-1", jobs=[a_job(**kw)], materials=[], payment_method=PaymentMethod.CASH,
            old_parts=OldParts.CUSTOMER_KEEPS, wash=True, transport=Transport.WAITS, signature=SIG,
            promised_at=NOW + timedelta(hours=3), now=NOW)
    return ro


def checked(ro, job_id, stages=CHECKS):
    for stage in stages:
        ro.inspection_passed(stage, job_id)
    return ro


def ready(ro):
    for j in ro.jobs:
        ro.job_completed(j.job_id)
        checked(ro, j.job_id)
    ro.vehicle_washed()
    for j in ro.jobs:
        ro.parts_moved([PartLine(part_no=p.part_no, quantity=p.quantity) for p in j.parts])
    return ro


def sheet_for(ro):
    return settle(ro.jobs, ro.materials, tax_rate=D("0.13"), first_service_free=False)


def test_check_in_needs_covers_and_a_plausible_odometer():
    with pytest.raises(DomainError) as e:
        checked_in(covers_fitted=False)
    assert e.value.field == "covers_fitted"
    with pytest.raises(DomainError) as e:
        RepairOrder.check_in_vehicle(id="r", dealer_group_id="d", store_id="s", vehicle_id="v", customer_id="c",
                                     advisor_id="a", sheet=sheet(odometer_km=100), last_odometer_km=5000)
    assert e.value.field == "odometer_km"
    ro = checked_in()
    assert [e.event_type for e in ro.events] == ["VehicleCheckedIn.v1"]


def test_opening_publishes_the_jobs_and_moves_to_open():
    ro = opened()
    assert ro.state is RoState.OPEN and ro.version == 2 and ro.estimate_version == 1
    opened_ev = ro.events[-1]
    assert opened_ev.event_type == "RepairOrderOpened.v1"
    assert opened_ev.jobs[0].labour_amount == D("300.00") and opened_ev.wash is True


def test_opening_needs_a_job():
    ro = checked_in()
    with pytest.raises(DomainError) as e:
        ro.open(number="RO-1", jobs=[], materials=[], payment_method=PaymentMethod.CASH,
                old_parts=OldParts.STORE_KEEPS, wash=False, transport=Transport.LEAVES, signature=SIG,
                promised_at=NOW, now=NOW)
    assert e.value.field == "jobs"


@pytest.mark.parametrize("state, command", [
    (RoState.CHECKED_IN, "invoice"), (RoState.CHECKED_IN, "deliver"), (RoState.CHECKED_IN, "decide"),
    (RoState.OPEN, "open"), (RoState.OPEN, "deliver"),
    (RoState.INVOICED, "open"), (RoState.INVOICED, "invoice"), (RoState.INVOICED, "decide"),
    (RoState.INVOICED, "cancel"),
    (RoState.DELIVERED, "open"), (RoState.DELIVERED, "invoice"), (RoState.DELIVERED, "deliver"),
    (RoState.DELIVERED, "cancel"), (RoState.DELIVERED, "decide"),
    (RoState.CANCELLED, "open"), (RoState.CANCELLED, "invoice"), (RoState.CANCELLED, "deliver"),
    (RoState.CANCELLED, "cancel"),
])
def test_each_illegal_transition_is_refused_with_the_current_state(state, command):
    ro = {RoState.CHECKED_IN: checked_in, RoState.OPEN: opened}.get(state, opened)()
    if state in (RoState.INVOICED, RoState.DELIVERED):
        ready(ro).invoice(invoice_number="INV-1", sheet=sheet_for(ro), now=NOW)
        if state is RoState.DELIVERED:
            ro.deliver(now=NOW, next_service_date=None, next_service_km=None)
    if state is RoState.CANCELLED:
        ro.cancel("customer changed mind")
    assert ro.state is state
    before = ro.model_dump()
    calls = {
        "open": lambda: ro.open(number="X", jobs=[a_job()], materials=[], payment_method=PaymentMethod.CASH,
                                old_parts=OldParts.STORE_KEEPS, wash=False, transport=Transport.WAITS,
                                signature=SIG, promised_at=NOW, now=NOW),
        "invoice": lambda: ro.invoice(invoice_number="INV-2", sheet=sheet_for(ro), now=NOW),
        "deliver": lambda: ro.deliver(now=NOW, next_service_date=None, next_service_km=None),
        "decide": lambda: ro.approve_added_work("f1", a_job("j9")),
        "cancel": lambda: ro.cancel("x"),
    }
    with pytest.raises(InvalidTransition) as e:
        calls[command]()
    assert e.value.extra["current_state"] == state.value
    assert ro.model_dump() == before


def test_full_life_of_an_order():
    ro = ready(opened())
    ro.invoice(invoice_number="INV-1", sheet=sheet_for(ro), now=NOW)
    assert ro.state is RoState.INVOICED and ro.gate_pass == "GP-INV-1"
    ro.deliver(now=NOW, next_service_date=date(2027, 6, 1), next_service_km=17000, odometer_out_km=12003)
    assert ro.state is RoState.DELIVERED
    assert [e.event_type for e in ro.events][-2:] == ["RepairOrderInvoiced.v1", "VehicleDelivered.v1"]
    assert ro.events[-1].next_service_km == 17000
    assert (ro.next_service_date, ro.next_service_km) == (date(2027, 6, 1), 17000)  # on the order too


def test_next_service_from_the_day_and_the_odometer_out():
    assert next_service(date(2026, 12, 1), 12003, interval_months=6, interval_km=5000) == (date(2027, 6, 1), 17003)
    assert next_service(date(2026, 8, 31), 0, interval_months=6, interval_km=7500) == (date(2027, 2, 28), 7500)


def test_invoicing_is_blocked_until_final_inspection_and_lists_what_is_missing():
    ro = opened()
    ro.job_completed("j1")
    with pytest.raises(Conflict) as e:
        ro.invoice(invoice_number="INV-1", sheet=sheet_for(ro), now=NOW)
    missing = e.value.extra["missing"]
    assert "job j1 (oil change) has not passed the self, team_leader, final checks (三检)" in missing
    assert "wash ordered but not done" in missing
    assert any("part OIL not reconciled: 4 on the order, 0 issued" in m for m in missing)
    assert ro.state is RoState.OPEN
    checked(ro, "j1")
    ro.vehicle_washed()
    ro.parts_moved([PartLine(part_no="OIL", quantity=D(5))])
    ro.parts_moved([PartLine(part_no="OIL", quantity=D(1))], returned=True)
    assert ro.delivery_blockers() == []


def test_rework_reopens_the_job_and_its_three_checks():
    ro = ready(opened())
    assert ro.final_inspection_passed
    ro.rework_started("j1")
    assert not ro.final_inspection_passed and ro.jobs[0].checks_passed == []
    assert "job j1 (oil change) has not passed the self, team_leader, final checks (三检)" in ro.delivery_blockers()
    assert any("not completed" in m for m in ro.delivery_blockers())
    assert not ro.inspection_passed(Stage.SELF, "j1")  # a job being reworked cannot be checked
    ro.job_completed("j1")
    checked(ro, "j1")
    assert ro.delivery_blockers() == [] and ro.final_inspection_passed


def test_the_three_checks_count_per_job_only_in_order():
    ro = opened()
    ro.jobs.append(a_job("j2", parts=()))
    for j in ("j1", "j2"):
        ro.job_completed(j)
    # a final inspection alone (the old rule) is not enough, and out of order nothing counts
    assert not ro.inspection_passed(Stage.FINAL, "j1")
    assert not ro.inspection_passed(Stage.TEAM_LEADER, "j1")
    assert ro.inspection_passed(Stage.SELF, "j1")
    assert not ro.inspection_passed(Stage.SELF, "j1")  # a repeat does not count twice
    assert not ro.inspection_passed(Stage.FINAL, "j1")
    assert ro.inspection_passed(Stage.TEAM_LEADER, "j1") and ro.inspection_passed(Stage.FINAL, "j1")
    assert ro.jobs[0].checks_passed == list(CHECKS) and not ro.final_inspection_passed
    assert "job j2 (oil change) has not passed the self, team_leader, final checks (三检)" in ro.delivery_blockers()
    checked(ro, "j2", CHECKS[:2])
    assert "job j2 (oil change) has not passed the final check (三检)" in ro.delivery_blockers()
    assert not ro.inspection_passed(Stage.SELF, "nope")  # another order's job


def test_a_stage_on_a_job_not_completed_does_not_count():
    ro = opened()
    assert not ro.inspection_passed(Stage.SELF, "j1")
    assert ro.jobs[0].checks_passed == []


def test_a_failed_check_clears_the_jobs_stages():
    ro = opened()
    ro.job_completed("j1")
    checked(ro, "j1", CHECKS[:2])
    ro.inspection_failed("j1")
    assert ro.jobs[0].checks_passed == []
    assert not ro.inspection_passed(Stage.FINAL, "j1")
    checked(ro, "j1")
    assert ro.final_inspection_passed


def test_a_vehicle_final_inspection_counts_for_jobs_past_the_team_leader_only():
    ro = opened()
    ro.jobs.append(a_job("j2", parts=()))
    for j in ("j1", "j2"):
        ro.job_completed(j)
    checked(ro, "j1", CHECKS[:2])
    checked(ro, "j2", CHECKS[:1])
    assert not ro.inspection_passed(Stage.SELF, None)  # self and team leader's checks name their job
    assert ro.inspection_passed(Stage.FINAL, None)
    assert ro.jobs[0].checks_passed == list(CHECKS) and ro.jobs[1].checks_passed == [Stage.SELF]
    ro.inspection_failed(None)
    assert all(j.checks_passed == [] for j in ro.jobs)


def test_added_work_needs_its_own_three_checks_and_a_final_inspection_after_it():
    ro = ready(opened())
    assert ro.delivery_blockers() == [] and ro.final_inspection_passed
    ro.record_finding(finding())
    ro.approve_added_work("f1", a_job("j2", parts=(), finding_id="f1"))
    assert not ro.final_inspection_passed
    blockers = ro.delivery_blockers()
    assert "job j2 (oil change) has not passed the self, team_leader, final checks (三检)" in blockers
    assert not any("j1" in m for m in blockers)  # the first job keeps its checks
    with pytest.raises(Conflict):
        ro.assert_invoiceable()
    ro.job_completed("j2")
    checked(ro, "j2")
    assert ro.delivery_blockers() == []
    ro.assert_invoiceable()


def test_parts_issue_event_shape_matches():
    e = PartsIssued(reference_id="ro1", issue_id="i1", lines=[PartLine(part_no="OIL", quantity=D(4))])
    ro = opened()
    ro.parts_moved(e.lines)
    assert ro.parts_issued == {"OIL": D(4)}


def finding(safety=False):
    return Finding(finding_id="f1", description="front brake pads worn to 2 mm", safety_related=safety,
                   estimated_hours=D("0.8"), found_at=NOW)


def test_added_work_approval_adds_the_job_and_a_new_estimate_version():
    ro = opened()
    assert ro.record_finding(finding()) and not ro.record_finding(finding())
    assert any("awaits the customer's decision" in m for m in ro.delivery_blockers())
    ro.approve_added_work("f1", a_job("j2", parts=(("PAD", "1", "400"),), finding_id="f1"))
    assert ro.estimate_version == 2 and len(ro.jobs) == 2
    assert ro.events[-1].event_type == "AdditionalWorkApproved.v1" and ro.events[-1].estimate_version == 2
    with pytest.raises(Conflict):
        ro.approve_added_work("f1", a_job("j3"))


def test_declined_safety_item_requires_the_customers_signature():
    ro = opened()
    ro.record_finding(finding(safety=True))
    with pytest.raises(DomainError) as e:
        ro.decline_added_work("f1", estimated_amount=D("640"), signature=None)
    assert e.value.field == "signature"
    assert ro.finding("f1").status == "pending"
    ro.decline_added_work("f1", estimated_amount=D("640"), signature=SIG)
    assert ro.events[-1].declined_signature_ref == "sig/ro1.png"
    assert ro.declined_work[0].signature == SIG


def test_declined_non_safety_item_needs_no_signature():
    ro = opened()
    ro.record_finding(finding())
    ro.decline_added_work("f1", estimated_amount=D("0"), signature=None)
    assert ro.events[-1].event_type == "AdditionalWorkDeclined.v1"


def test_unknown_finding_is_named():
    with pytest.raises(DomainError) as e:
        opened().approve_added_work("nope", a_job("j2"))
    assert e.value.field == "finding_id"


def test_stale_version_is_refused():
    ro = opened()
    with pytest.raises(StaleVersion):
        ro.check_version(1)
    ro.check_version(2)


def test_cannot_cancel_with_parts_issued():
    ro = opened()
    ro.parts_moved([PartLine(part_no="OIL", quantity=D(4))])
    with pytest.raises(Conflict):
        ro.cancel("x")


def test_comeback_within_the_window_for_the_same_job():
    prev = NOW - timedelta(days=10)
    assert is_comeback(previous_delivered_at=prev, now=NOW, window_days=30, previous_codes={"BRK-01"},
                       codes={"BRK-01", "OIL"})
    assert not is_comeback(previous_delivered_at=prev, now=NOW, window_days=7, previous_codes={"BRK-01"},
                           codes={"BRK-01"})
    assert not is_comeback(previous_delivered_at=prev, now=NOW, window_days=30, previous_codes={"BRK-01"},
                           codes={"OIL"})


def test_the_order_survives_a_round_trip_through_json():
    ro = ready(opened())
    again = RepairOrder.model_validate(ro.model_dump(mode="json"))
    assert again.model_dump() == ro.model_dump() and again.jobs[0].labour_amount == D("300.00")


def test_the_order_shows_which_parts_are_held_and_which_are_on_order():
    from shared.contracts.parts import ShortLine

    ro = opened()
    ro.parts_reserved([PartLine(part_no="OIL", quantity=D("4"))])
    ro.parts_short([ShortLine(part_no="PAD-F", quantity=D("2"), quantity_short=D("2"),
                              expected_arrival=date(2026, 12, 3))])
    assert ro.parts_availability["OIL"].status == "reserved"
    pad = ro.parts_availability["PAD-F"]
    assert (pad.status, pad.quantity_short, pad.expected_arrival) == ("short", D("2"), date(2026, 12, 3))
    ro.parts_reserved([PartLine(part_no="PAD-F", quantity=D("2"))])  # arrived and picked
    assert ro.parts_availability["PAD-F"].status == "reserved"
