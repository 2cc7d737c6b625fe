"""The workshop's figures per store and period against values worked out by hand: first-time fix, the three
checks' pass rates and efficiency, placed by the store's local day."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.contracts.workshop import InspectionStage as S
from shared.errors import Forbidden
from shared.kit import InMemoryUnitOfWork
from shared.kit.figures import Granularity
from workshop.adapters.repository import WorkOrders
from workshop.domain.figures import KPIS, figures, store_figures
from workshop.domain.work_order import Job, WorkOrder
from workshop.service_layer.figures import figures as answer

SH = ZoneInfo("Asia/Shanghai")
WEEK = date(2026, 11, 23)  # a Monday
TUE = datetime(2026, 11, 24, 9, 0, tzinfo=SH)


def order(oid: str, *hours: str, store="s1") -> WorkOrder:
    jobs = [Job(job_id=f"{oid}-j{i}", description="job", flat_rate_hours=D(h)) for i, h in enumerate(hours)]
    return WorkOrder(id=oid, dealer_group_id="dg", store_id=store, number=oid, vehicle_id="v", opened_at=TUE,
                     promised_at=TUE + timedelta(hours=8), jobs=jobs)


def work(wo: WorkOrder, job_id: str, *, at: datetime, clocked_h: float, fail_final=False) -> None:
    """Dispatch, clock `clocked_h` hours, complete and pass the three checks at `at` (failing the final once
    first, then `clocked_h` more hours of rework)."""
    wo.dispatch(job_id, team_id="a", technician_id="t-qian", by="sup")
    rounds = 2 if fail_final else 1
    for r in range(rounds):
        start = at - timedelta(hours=clocked_h * (rounds - r))
        wo.start(job_id, technician_id="t-qian", now=start)
        wo.complete(job_id, now=start + timedelta(hours=clocked_h))
        failing = fail_final and r == 0
        for stage, who, roles in ((S.SELF, "t-qian", {"technician"}), (S.TEAM_LEADER, "l-sun", {"team_leader"}),
                                  (S.FINAL, "qc-li", {"qc_inspector"})):
            passed = not (failing and stage is S.FINAL)
            wo.inspect(job_id, stage=stage, inspector_id=who, inspector_roles=roles, passed=passed, checklist={},
                       reason=None if passed else "torque", now=start + timedelta(hours=clocked_h))


def test_a_week_of_two_stores_matches_the_figures_worked_out_by_hand():
    a1, a2, b1 = order("a1", "2", "1"), order("a2", "1.5"), order("b1", "3", store="s2")
    work(a1, "a1-j0", at=TUE + timedelta(hours=3), clocked_h=1.6)  # 2 h billed in 1.6 h clocked
    work(a1, "a1-j1", at=TUE + timedelta(hours=5), clocked_h=1, fail_final=True)  # 1 h billed, 1 + 1 h clocked
    work(a2, "a2-j0", at=datetime(2026, 11, 29, 23, 30, tzinfo=SH), clocked_h=1)  # Sunday night: this week
    work(b1, "b1-j0", at=datetime(2026, 11, 30, 0, 30, tzinfo=SH), clocked_h=2)  # Monday 00:30: next week
    got = {(f.store_id, f.kpi): f for f in store_figures([a1, a2, b1], stores=["s1", "s2"], periods=[WEEK],
                                                       granularity=Granularity.WEEK, tz=SH, now=TUE)}
    s1 = {k: (got["s1", k].numerator, got["s1", k].denominator, got["s1", k].value) for k in KPIS}
    assert s1 == {
        "first_time_fix_rate": (2, 3, D("0.6667")),  # a1-j0 and a2-j0 of 3 jobs passed; a1-j1 was reworked
        "self_check_pass_rate": (4, 4, D(1)),  # a1-j1 was self-checked twice
        "team_leader_check_pass_rate": (4, 4, D(1)),
        "final_inspection_pass_rate": (3, 4, D("0.75")),  # a1-j1 failed its first final
        # billed (2 + 1 + 1.5) ÷ clocked (1.6 + 2 + 1) = 4.5 ÷ 4.6 = 0.97826…
        "technician_efficiency": (D("4.5"), D("4.60"), D("0.9783")),
    }
    s2 = {k: got["s2", k].value for k in KPIS}
    assert s2 == dict.fromkeys(KPIS)  # b1's checks fell in next week: nothing to divide this week


def test_the_technician_view_counts_jobs_passed_in_the_span():
    wo = order("a1", "2")
    work(wo, "a1-j0", at=TUE, clocked_h=1.6)
    assert figures([wo], TUE, TUE - timedelta(days=1), TUE + timedelta(seconds=1))["technicians"]["t-qian"] \
        .efficiency == D("1.25")
    assert figures([wo], TUE, TUE + timedelta(seconds=1), TUE + timedelta(days=1))["technicians"] == {}


async def test_a_group_role_gets_every_period_of_each_store_with_work_and_a_store_user_only_their_stores():
    a1, b1 = order("a1", "2"), order("b1", "3", store="s2")
    work(a1, "a1-j0", at=TUE + timedelta(hours=3), clocked_h=1)
    work(b1, "b1-j0", at=datetime(2026, 11, 30, 0, 30, tzinfo=SH), clocked_h=2)  # next week's
    analyst = Principal(user_id="g", name="g", dealer_group_id="dg", roles=frozenset({Role.GROUP_ANALYST}))
    uow = InMemoryUnitOfWork(clock=FixedClock(TUE + timedelta(days=14)), actor=analyst)
    for wo in (a1, b1):
        await uow.repo(WorkOrders).add(wo)
    nxt = WEEK + timedelta(days=7)
    got = await answer(uow, date_from=WEEK, date_to=nxt, granularity=Granularity.WEEK, store_id=None)
    fix = {(f.store_id, f.period): f.value for f in got.figures if f.kpi == "first_time_fix_rate"}
    # each store with work in the span, in every period (a week without work has nothing to divide)
    assert fix == {("s1", WEEK): D(1), ("s1", nxt): None, ("s2", WEEK): None, ("s2", nxt): D(1)}
    supervisor = Principal(user_id="u", name="u", dealer_group_id="dg", roles=frozenset({Role.WORKSHOP_SUPERVISOR}),
                           store_ids=frozenset({"s1"}))
    with pytest.raises(Forbidden):
        await answer(uow.as_actor(supervisor), date_from=WEEK, date_to=nxt, granularity=Granularity.WEEK,
                     store_id="s2")
