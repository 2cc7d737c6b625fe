"""The workshop's rules without servers: job state machine, the three checks (三检), rework and
first-time fix, ready-for-pickup, dispatch recommendation, efficiency and capacity."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from shared.contracts.common import PartLine
from shared.contracts.workshop import InspectionStage as S
from shared.errors import Conflict, DomainError, Forbidden, InvalidTransition
from workshop.domain.dispatch import recommend, technician_loads, validate_choice
from workshop.domain.figures import efficiency, figures
from workshop.domain.shop import Bay, BayKind, Grade, Shift, Shop, Skill, Team, Technician
from workshop.domain.work_order import Job, JobState, PauseReason, WorkOrder, WorkOrderState

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SH)
QC = {"qc_inspector"}
LEADER = {"team_leader"}


def order(*jobs: Job, wash=False, comeback=False, waiting=True, promised=NOW + timedelta(hours=4)) -> WorkOrder:
    return WorkOrder(id="ro1", dealer_group_id="dg", store_id="s1", number="RO1", vehicle_id="v1",
                     promised_at=promised, waiting_customer=waiting, comeback=comeback, wash_requested=wash,
                     opened_at=NOW, jobs=list(jobs) or [Job(job_id="j1", description="brakes", flat_rate_hours=D(2))])


def worked(wo: WorkOrder, job_id="j1", tech="t-qian", hours=1) -> WorkOrder:
    wo.dispatch(job_id, team_id="team-a", technician_id=tech, by="sup")
    wo.start(job_id, technician_id=tech, now=NOW)
    wo.complete(job_id, now=NOW + timedelta(hours=hours))
    return wo


def checks(wo, job_id="j1", tech="t-qian", leader="l-sun", final="qc-li", final_passes=True):
    wo.inspect(job_id, stage=S.SELF, inspector_id=tech, inspector_roles={"technician"}, passed=True,
               checklist={"torque": True}, reason=None, now=NOW)
    wo.inspect(job_id, stage=S.TEAM_LEADER, inspector_id=leader, inspector_roles=LEADER, passed=True,
               checklist={}, reason=None, now=NOW)
    wo.inspect(job_id, stage=S.FINAL, inspector_id=final, inspector_roles=QC, passed=final_passes, checklist={},
               reason=None if final_passes else "squeal remains", now=NOW)


def types(wo: WorkOrder) -> list[str]:
    return [type(e).__name__ for e in wo.events]


# -- job state machine ----------------------------------------------------------------------------
def test_a_job_goes_dispatched_started_paused_resumed_completed_with_clocked_time():
    wo = order()
    wo.dispatch("j1", team_id="team-a", technician_id="t-qian", by="sup")
    wo.start("j1", technician_id="t-qian", now=NOW)
    wo.pause("j1", reason=PauseReason.WAITING_PARTS, note="pads", now=NOW + timedelta(minutes=30))
    wo.resume("j1", technician_id="t-qian", now=NOW + timedelta(hours=1))
    job = wo.complete("j1", now=NOW + timedelta(hours=2))
    assert job.state is JobState.COMPLETED and job.clocked_hours(NOW) == D("1.50")
    assert types(wo) == ["JobDispatched", "JobStarted", "JobPaused", "JobStarted", "JobCompleted"]
    assert wo.events[-1].clocked_hours == D("1.50")


@pytest.mark.parametrize("command", ["complete", "start", "inspect"])
def test_illegal_transitions_are_refused_naming_the_state(command):
    wo = order()
    wo.dispatch("j1", team_id="team-a", technician_id="t-qian", by="sup")
    wo.start("j1", technician_id="t-qian", now=NOW)
    wo.pause("j1", reason=PauseReason.OTHER, note=None, now=NOW)
    before = wo.model_dump()
    with pytest.raises(InvalidTransition) as e:
        if command == "complete":
            wo.complete("j1", now=NOW)
        elif command == "start":
            wo.start("j1", technician_id="t-qian", now=NOW)
        else:
            wo.inspect("j1", stage=S.SELF, inspector_id="t-qian", inspector_roles=set(), passed=True,
                       checklist={}, reason=None, now=NOW)
    assert e.value.status_code == 409 and e.value.extra["current_state"] == "paused"
    assert wo.model_dump() == before


def test_only_the_dispatched_technician_clocks_on():
    wo = order()
    wo.dispatch("j1", team_id="team-a", technician_id="t-qian", by="sup")
    with pytest.raises(Forbidden):
        wo.start("j1", technician_id="t-zhao", now=NOW)


def test_a_job_cannot_complete_while_its_parts_are_not_issued():
    wo = order(Job(job_id="j1", description="pads", flat_rate_hours=D(1),
                   parts_needed=[PartLine(part_no="PAD-F", quantity=D(2))]))
    wo.dispatch("j1", team_id="team-a", technician_id="t-qian", by="sup")
    wo.start("j1", technician_id="t-qian", now=NOW)
    with pytest.raises(Conflict) as e:
        wo.complete("j1", now=NOW)
    assert e.value.field == "parts" and e.value.extra["parts_not_issued"] == ["PAD-F"]
    wo.parts_moved([PartLine(part_no="PAD-F", quantity=D(1))], job_id="j1")
    with pytest.raises(Conflict):
        wo.complete("j1", now=NOW)
    wo.parts_moved([PartLine(part_no="PAD-F", quantity=D(1))], job_id=None)
    assert wo.complete("j1", now=NOW).state is JobState.COMPLETED


def test_a_pause_that_will_miss_the_promise_raises_progress_delayed_at_once_and_once():
    wo = order(promised=NOW + timedelta(hours=2))
    wo.dispatch("j1", team_id="team-a", technician_id="t-qian", by="sup")
    wo.start("j1", technician_id="t-qian", now=NOW)
    wo.pause("j1", reason=PauseReason.WAITING_PARTS, note=None, now=NOW + timedelta(minutes=10),
             resume_expected_at=NOW + timedelta(hours=3))
    delayed = [e for e in wo.events if type(e).__name__ == "ProgressDelayed"]
    assert len(delayed) == 1 and delayed[0].new_eta > wo.promised_at and "waiting_parts" in delayed[0].reason
    wo.resume("j1", technician_id="t-qian", now=NOW + timedelta(minutes=20))
    assert sum(type(e).__name__ == "ProgressDelayed" for e in wo.events) == 1


# -- the three checks (三检) -------------------------------------------------------------------------
def test_checks_go_in_order_and_the_final_makes_the_car_ready_once():
    wo = worked(order())
    with pytest.raises(Conflict) as e:
        wo.inspect("j1", stage=S.FINAL, inspector_id="qc-li", inspector_roles=QC, passed=True, checklist={},
                   reason=None, now=NOW)
    assert e.value.extra["expected_stage"] == "self"
    checks(wo)
    assert wo.state is WorkOrderState.READY
    assert types(wo)[-4:] == ["InspectionPassed", "InspectionPassed", "InspectionPassed", "VehicleReadyForPickup"]
    assert [e.stage for e in wo.events if type(e).__name__ == "InspectionPassed"] == [S.SELF, S.TEAM_LEADER, S.FINAL]


def test_nobody_inspects_their_own_work_nor_does_two_stages():
    wo = worked(order())
    with pytest.raises(Forbidden):  # the self-check is the technician's
        wo.inspect("j1", stage=S.SELF, inspector_id="l-sun", inspector_roles=LEADER, passed=True, checklist={},
                   reason=None, now=NOW)
    wo.inspect("j1", stage=S.SELF, inspector_id="t-qian", inspector_roles=set(), passed=True, checklist={},
               reason=None, now=NOW)
    with pytest.raises(Forbidden) as e:  # the technician who did the job, even as a team leader
        wo.inspect("j1", stage=S.TEAM_LEADER, inspector_id="t-qian", inspector_roles=LEADER, passed=True,
                   checklist={}, reason=None, now=NOW)
    assert "own work" in e.value.message
    wo.inspect("j1", stage=S.TEAM_LEADER, inspector_id="td-wu", inspector_roles={"technical_director"},
               passed=True, checklist={}, reason=None, now=NOW)
    with pytest.raises(Forbidden) as e:  # the same person may not do the final too
        wo.inspect("j1", stage=S.FINAL, inspector_id="td-wu", inspector_roles={"technical_director"},
                   passed=True, checklist={}, reason=None, now=NOW)
    assert "two stages" in e.value.message
    with pytest.raises(Forbidden):  # a team leader is no final inspector
        wo.inspect("j1", stage=S.FINAL, inspector_id="l-sun", inspector_roles=LEADER, passed=True, checklist={},
                   reason=None, now=NOW)


def test_a_failed_final_sends_the_job_to_rework_and_lowers_first_time_fix():
    first, second = Job(job_id="j1", description="brakes", flat_rate_hours=D(2)), Job(
        job_id="j2", description="oil", flat_rate_hours=D(1))
    wo = worked(worked(order(first, second), "j2", tech="t-zhao"))
    checks(wo, "j2", tech="t-zhao")
    checks(wo, final_passes=False)
    assert wo.job("j1").state is JobState.REWORK and wo.state is WorkOrderState.OPEN
    assert types(wo)[-2:] == ["InspectionFailed", "ReworkStarted"]
    with pytest.raises(DomainError):
        wo.inspect("j2", stage=S.SELF, inspector_id="t-zhao", inspector_roles=set(), passed=True, checklist={},
                   reason=None, now=NOW)  # j2 passed already: nothing to inspect
    wo.start("j1", technician_id="t-qian", now=NOW)
    wo.complete("j1", now=NOW + timedelta(hours=1))
    assert wo.job("j1").next_stage() is S.SELF  # a new round of all three checks
    checks(wo)
    assert wo.state is WorkOrderState.READY
    store = figures([wo], NOW)["store"]["s1"]
    assert (store.jobs_finished, store.first_time_fixed, store.reworks) == (2, 1, 1)
    assert store.first_time_fix_rate == D("0.5000")
    assert figures([wo], NOW)["technicians"]["t-zhao"].first_time_fix_rate == D(1)


def test_ready_for_pickup_waits_for_every_final_and_for_the_wash():
    wo = worked(worked(order(Job(job_id="j1", description="a", flat_rate_hours=D(1)),
                             Job(job_id="j2", description="b", flat_rate_hours=D(1)), wash=True), "j2"))
    checks(wo)
    assert wo.state is WorkOrderState.OPEN and "VehicleReadyForPickup" not in types(wo)
    with pytest.raises(Conflict):
        wo.wash()  # j2 has not passed its final yet
    checks(wo, "j2")
    assert wo.state is WorkOrderState.OPEN
    wo.wash()
    assert types(wo)[-2:] == ["VehicleWashed", "VehicleReadyForPickup"]
    assert types(wo).count("VehicleReadyForPickup") == 1


# -- dispatch ---------------------------------------------------------------------------------------
TECHS = [Technician(technician_id="t-senior", name="钱师傅", team_id="a", grade=Grade.SENIOR,
                    skills=[Skill.MECHANICAL, Skill.DIAGNOSIS]),
         Technician(technician_id="t-mid", name="赵技师", team_id="a", grade=Grade.MID, skills=[Skill.MECHANICAL]),
         Technician(technician_id="t-body", name="孙钣金", team_id="b", grade=Grade.SENIOR, skills=[Skill.BODY])]


def test_recommendation_goes_by_skill_then_load_and_explains_itself():
    wo = order()
    r = recommend(wo, wo.job("j1"), TECHS, {"t-senior": D(5), "t-mid": D(1)})
    assert r.technician_id == "t-mid" and [c.technician_id for c in r.ranking] == ["t-mid", "t-senior"]
    text = " ".join(r.explanation)
    assert "mechanical" in text and "1 technician(s) without it left out" in text and "1 h of open work" in text
    assert r.priority == 1 and "customer waiting" in text


def test_a_comeback_goes_to_the_senior_grade_first_even_with_more_load():
    wo = order(comeback=True)
    r = recommend(wo, wo.job("j1"), TECHS, {"t-senior": D(5), "t-mid": D(1)})
    assert r.technician_id == "t-senior" and r.priority == 2 and "comeback" in r.explanation[0]


def test_no_skilled_technician_and_a_chosen_one_without_the_skill_are_refused():
    wo = order(Job(job_id="j1", description="paint door", skill="paint", flat_rate_hours=D(3)))
    with pytest.raises(DomainError) as e:
        recommend(wo, wo.job("j1"), TECHS, {})
    assert e.value.field == "skill"
    with pytest.raises(DomainError) as e:
        validate_choice(wo.job("j1"), TECHS[1])
    assert e.value.field == "technician_id" and "lacks the skill paint" in e.value.message


def test_load_counts_open_dispatched_hours_only():
    wo = worked(order(Job(job_id="j1", description="a", flat_rate_hours=D(2)),
                      Job(job_id="j2", description="b", flat_rate_hours=D(3))))
    wo.dispatch("j2", team_id="a", technician_id="t-mid", by="sup")
    assert technician_loads([wo], NOW) == {"t-mid": D("3.00")}


# -- efficiency and capacity ------------------------------------------------------------------------
def test_efficiency_is_billed_over_clocked():
    assert efficiency(D("2.0"), D("1.6")) == D("1.25") and efficiency(D(1), D(0)) is None
    wo = worked(order(), hours=1.6)  # 2 h flat rate done in 1.6 h
    checks(wo)
    assert figures([wo], NOW)["technicians"]["t-qian"].efficiency == D("1.25")


def test_capacity_comes_from_shifts_and_publishes_only_what_changed():
    shop = Shop.open("dg", "s1")
    shop.set_team(Team(team_id="a", name="机修一组", leader_id="l-sun"))
    for t in TECHS[:2]:
        shop.set_technician(t)
    shop.set_bay(Bay(bay_id="b1", kind=BayKind.LIFT))
    shop.set_bay(Bay(bay_id="b2", kind=BayKind.GENERAL))
    shop.set_shift(Shift(shift_id="day", team_id="a", weekdays=[0, 1, 2, 3, 4, 5], start=time(8, 30),
                         end=time(17, 30), break_minutes=60))
    monday = date(2026, 11, 30)
    assert shop.capacity(monday).technician_hours == D("16.00") and shop.capacity(monday).bays == 2
    assert shop.capacity(monday + timedelta(days=6)).technician_hours == 0  # Sunday: no shift
    published = shop.publish_capacity(monday)
    assert len(published) == 14 and len(shop.events) == 14
    shop.events.clear()
    assert shop.publish_capacity(monday) == []
    shop.set_closed_days([monday + timedelta(days=2)])
    assert [c.day for c in shop.publish_capacity(monday)] == [monday + timedelta(days=2)]
    assert [c.day for c in shop.publish_capacity(monday + timedelta(days=1))] == [monday + timedelta(days=14)]


def test_a_shift_must_belong_to_a_known_team_and_end_after_it_starts():
    shop = Shop.open("dg", "s1")
    with pytest.raises(DomainError) as e:
        shop.set_shift(Shift(shift_id="x", team_id="nope", weekdays=[0], start=time(8), end=time(17)))
    assert e.value.status_code == 404 and e.value.field == "team_id"
    shop.set_team(Team(team_id="a", name="A"))
    with pytest.raises(DomainError) as e:
        shop.set_shift(Shift(shift_id="x", team_id="a", weekdays=[0], start=time(17), end=time(8)))
    assert e.value.field == "end"


def test_the_board_says_why_a_job_waits_as_fields_a_board_can_label_in_its_language():
    from workshop.entrypoints.views import board
    wo = order()
    wo.dispatch("j1", team_id="team-a", technician_id="t-qian", by="sup")
    wo.start("j1", technician_id="t-qian", now=NOW)
    wo.request_parts("j1", request_id="pr1", technician_id="t-qian", lines=[PartLine(part_no="P-PAD", quantity=D(1))])
    wo.pause("j1", reason=PauseReason.WAITING_PARTS, note="pads", now=NOW + timedelta(minutes=10))
    job = board("s1", [wo], NOW + timedelta(minutes=20)).orders[0].jobs[0]
    assert (job.pause_reason, job.pause_note, job.parts_not_issued) == (PauseReason.WAITING_PARTS, "pads", ["P-PAD"])
    assert job.waiting_for == "waiting_parts: pads; parts not issued: P-PAD"
    wo.parts_moved([PartLine(part_no="P-PAD", quantity=D(1))], job_id="j1")
    wo.resume("j1", technician_id="t-qian", now=NOW + timedelta(minutes=30))
    job = board("s1", [wo], NOW + timedelta(minutes=40)).orders[0].jobs[0]
    assert (job.pause_reason, job.parts_not_issued, job.waiting_for) == (None, [], None)
