"""Handlers on the in-memory unit of work: no PostgreSQL, no Kafka."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from parts.adapters.repository import IssueSlips, Parts, RepairOrderCopies
from parts.domain.issuing import JobCopy, RepairOrderCopy
from parts.domain.stock import Part
from parts.service_layer import commands as c
from parts.service_layer import counts, demand, figures, issuing, purchasing, stock
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.contracts.common import PartLine, PayType
from shared.errors import Conflict, DomainError, NotFound
from shared.kit import InMemoryUnitOfWork
from shared.kit.figures import Granularity

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def person(*roles: Role, user: str = "u") -> Principal:
    return Principal(user_id=user, name=user, dealer_group_id="dg", roles=frozenset(roles),
                     store_ids=frozenset({"s1"}))


@pytest.fixture
async def uow() -> InMemoryUnitOfWork:
    u = InMemoryUnitOfWork(clock=FixedClock(NOW), actor=person(Role.PARTS_MANAGER, user="pm"))
    await stock.create_bin(u, c.CreateBin(store_id="s1", store_room="A", rack="01", shelf="02", position="03"))
    await stock.create_part(u, c.CreatePart(store_id="s1", part_no="PAD-1", name="brake pad", retail_price=D("120"),
                                            bin_code="A-01-02-03", opening_quantity=D(1), opening_cost=D("60")))
    await u.repo(RepairOrderCopies).add(RepairOrderCopy(
        id="ro1", dealer_group_id="dg", store_id="s1", number="RO-1", open=True,
        jobs=[JobCopy(job_id="j1", description="brakes", pay_type=PayType.CUSTOMER),
              JobCopy(job_id="jw", description="warranty", pay_type=PayType.WARRANTY)]))
    u.published.clear()
    return u


async def test_unknown_bin_is_refused_and_nothing_is_stored(uow):
    with pytest.raises(NotFound, match="bin"):
        await stock.create_part(uow, c.CreatePart(store_id="s1", part_no="X", name="x", retail_price=D(1),
                                                  bin_code="Z-99-99-99"))
    assert await uow.repo(Parts).find(Part.id_for("s1", "X")) is None


async def slip_for(uow, job: str = "j1"):
    tech = uow.as_actor(person(Role.TECHNICIAN, user="tech"))
    s = await issuing.request_parts(tech, c.RequestParts(store_id="s1", repair_order_id="ro1", job_id=job,
                                                         lines=[c.SlipLineRequest(part_no="PAD-1", quantity=D(1))]))
    await issuing.sign_slip(uow.as_actor(person(Role.ADVISOR, user="adv")), c.SignSlip(slip_id=s.id))
    return s


async def test_issue_after_the_old_part_is_handed_in(uow):
    s = await slip_for(uow)
    clerk = uow.as_actor(person(Role.PARTS_CLERK, user="clerk"))
    with pytest.raises(Conflict, match="交旧领新"):
        await issuing.issue_parts(clerk, c.IssueParts(slip_id=s.id))
    await issuing.issue_parts(clerk, c.IssueParts(slip_id=s.id, old_parts=[c.OldPartHandIn(part_no="PAD-1")]))
    part = await uow.repo(Parts).get("s1:PAD-1")
    assert part.on_hand == 0
    assert "PartsIssued" in uow.event_types() and "OldPartRegistered" in uow.event_types()
    ro = await uow.repo(RepairOrderCopies).get("ro1")
    assert ro.issued == {"PAD-1": D(1)}


async def test_warranty_slip_waits_for_the_specialist(uow):
    s = await slip_for(uow, "jw")
    clerk = uow.as_actor(person(Role.PARTS_CLERK, user="clerk"))
    hand_in = c.IssueParts(slip_id=s.id, old_parts=[c.OldPartHandIn(part_no="PAD-1")])
    with pytest.raises(Conflict, match="warranty specialist"):
        await issuing.issue_parts(clerk, hand_in)
    await issuing.sign_slip(uow.as_actor(person(Role.WARRANTY_SPECIALIST, user="ws")), c.SignSlip(slip_id=s.id))
    slip = await issuing.issue_parts(clerk, hand_in)
    assert slip.lines[0].old_part_disposition == "manufacturer"


async def test_closed_repair_order_gets_no_slip(uow):
    ro = await uow.repo(RepairOrderCopies).get("ro1")
    ro.close("invoiced")
    await uow.repo(RepairOrderCopies).save(ro)
    with pytest.raises(Conflict, match="invoiced"):
        await slip_for(uow)


async def test_a_booking_delivered_twice_reserves_once_and_cancel_releases(uow):
    svc = uow.as_actor(Principal.service("dg", "parts.reception"))
    lines = [PartLine(part_no="PAD-1", quantity=D(1))]
    for _ in range(2):
        await demand.reserve(svc, reference_id="a1", reference_type="appointment", store_id="s1", lines=lines,
                             ask="booked")
    part = await uow.repo(Parts).get("s1:PAD-1")
    assert part.reserved == D(1) and uow.event_types().count("PartsReserved") == 1
    await demand.reserve(svc, reference_id="a2", reference_type="appointment", store_id="s1",
                         lines=[PartLine(part_no="PAD-1", quantity=D(2)), PartLine(part_no="NOPE", quantity=D(1))],
                         ask="booked")
    assert uow.event_types()[-1] == "PartsShortage"
    await demand.release(svc, "a1")
    await demand.release(svc, "a1")
    assert (await uow.repo(Parts).get("s1:PAD-1")).reserved == 0


async def test_count_variance_becomes_an_adjustment_entry(uow):
    clerk = uow.as_actor(person(Role.PARTS_CLERK, user="clerk"))
    cnt = await counts.start_count(clerk, c.StartCount(store_id="s1", scope="monthly"))
    await counts.record_count(clerk, c.RecordCount(count_id=cnt.id, lines=[c.CountedLine(part_no="PAD-1",
                                                                                          counted=D(3))]))
    with pytest.raises(Conflict):
        await counts.close_count(clerk, c.CloseCount(count_id=cnt.id))
    await counts.record_count(clerk, c.RecordCount(count_id=cnt.id, lines=[c.CountedLine(
        part_no="PAD-1", counted=D(3), explanation="two found in the returns crate")]))
    await counts.close_count(clerk, c.CloseCount(count_id=cnt.id))
    part = await uow.repo(Parts).get("s1:PAD-1")
    assert part.on_hand == D(3) and [e.movement for e in part.ledger] == ["opening", "adjustment"]


async def test_write_off_takes_three_approvers(uow):
    clerk = uow.as_actor(person(Role.PARTS_CLERK, user="clerk"))
    w = await counts.propose_write_off(clerk, c.ProposeWriteOff(
        store_id="s1", reason="obsolete", cause="obsolescence", description="old model",
        cannot_claim_return_or_repair=True, lines=[c.WriteOffLineRequest(part_no="PAD-1", quantity=D(1))]))
    for role in (Role.SERVICE_MANAGER, Role.PARTS_MANAGER):
        await counts.approve_write_off(uow.as_actor(person(role, user=role.value)),
                                       c.ApproveWriteOff(write_off_id=w.id))
    assert (await uow.repo(Parts).get("s1:PAD-1")).on_hand == 1
    w = await counts.approve_write_off(uow.as_actor(person(Role.WARRANTY_SPECIALIST, user="ws")),
                                       c.ApproveWriteOff(write_off_id=w.id))
    assert w.value == D("60.00") and w.shares["company"] == D("42.00")
    assert (await uow.repo(Parts).get("s1:PAD-1")).on_hand == 0
    assert uow.event_types()[-1] == "PartsWrittenOffV2"


async def test_a_technicians_request_becomes_a_slip_once_and_reserves_beyond_the_plan(uow):
    svc = uow.as_actor(Principal.service("dg", "parts.workshop-jobs"))
    ro = await uow.repo(RepairOrderCopies).get("ro1")
    ro.jobs[0] = JobCopy(job_id="j1", description="brakes", pay_type=PayType.CUSTOMER,
                         parts=[PartLine(part_no="PAD-1", quantity=D(1))])
    await uow.repo(RepairOrderCopies).save(ro)
    within = [PartLine(part_no="PAD-1", quantity=D(1))]
    for _ in range(2):  # delivered twice
        await issuing.parts_requested(svc, store_id="s1", repair_order_id="ro1", job_id="j1", request_id="rq1",
                                      technician_id="tech", lines=within)
    slip = await uow.repo(IssueSlips).get("rq1")
    assert slip.technician_id == "tech" and slip.request_id == "rq1" and slip.lines[0].in_stock_at_request
    assert "PartsReserved" not in uow.event_types()  # within the job's plan: reserved when the order opened
    await issuing.parts_requested(svc, store_id="s1", repair_order_id="ro1", job_id="j1", request_id="rq2",
                                  technician_id="tech", lines=[PartLine(part_no="PAD-1", quantity=D(2))])
    assert uow.event_types()[-1] == "PartsShortage"  # one in stock, two asked beyond the plan's one
    assert (await uow.repo(Parts).get("s1:PAD-1")).reserved_for("ro1") == D(1)
    assert not (await uow.repo(IssueSlips).get("rq2")).lines[0].in_stock_at_request
    assert len((await uow.repo(RepairOrderCopies).get("ro1")).requests) == 2


async def test_request_for_a_closed_order_is_dropped(uow):
    ro = await uow.repo(RepairOrderCopies).get("ro1")
    ro.close("delivered")
    await uow.repo(RepairOrderCopies).save(ro)
    svc = uow.as_actor(Principal.service("dg", "parts.workshop-jobs"))
    assert await issuing.parts_requested(svc, store_id="s1", repair_order_id="ro1", job_id="j1", request_id="rq9",
                                         technician_id="t", lines=[PartLine(part_no="PAD-1", quantity=D(1))]) is None
    assert await uow.repo(IssueSlips).find("rq9") is None


async def test_an_approved_added_job_reserves_its_parts_once(uow):
    from parts.entrypoints.consumers import added_work
    from shared.contracts import reception
    from shared.contracts.common import RepairJob

    svc = uow.as_actor(Principal.service("dg", "parts.reception"))
    job = RepairJob(job_id="j9", description="wiper", pay_type=PayType.CUSTOMER, flat_rate_hours=D("0.2"),
                    parts=[PartLine(part_no="PAD-1", quantity=D(1))])
    e = reception.AdditionalWorkApproved(repair_order_id="ro1", finding_id="f1", job=job, estimate_version=2)
    for _ in range(2):
        await added_work(svc, e)
    assert uow.event_types().count("PartsReserved") == 1
    assert (await uow.repo(Parts).get("s1:PAD-1")).reserved_for("ro1") == D(1)
    ro = await uow.repo(RepairOrderCopies).get("ro1")
    assert [j.job_id for j in ro.jobs] == ["j1", "jw", "j9"]


async def test_figures_for_the_parts_manager(uow):
    s = await slip_for(uow)
    clerk = uow.as_actor(person(Role.PARTS_CLERK, user="clerk"))
    await issuing.issue_parts(clerk, c.IssueParts(slip_id=s.id, old_parts=[c.OldPartHandIn(part_no="PAD-1")]))
    await slip_for(uow)  # nothing left: not covered at request
    today = NOW.date()
    f = {x.kpi: x for x in (await figures.figures(uow, today, today, Granularity.DAY, None)).figures}
    assert (f["parts_fill_rate"].numerator, f["parts_fill_rate"].denominator) == (1, 2)
    assert f["parts_revenue"].value == D("120.00")  # 1 × the retail price at issue
    # the one unit was opened and issued today: no stock at the day's end, so no turnover figure
    assert f["parts_cost_issued"].value == D("60.00") and f["stock_turnover"].value is None
    with pytest.raises(DomainError) as e:
        await figures.figures(uow, today, today - timedelta(days=1), Granularity.DAY, None)
    assert e.value.field == "date_to"


async def test_parts_arriving_fill_the_bookings_short_of_them_longest_waiting_first(uow):
    """A booking short of a part (PartsShortage) gets it when it is shelved from a receipt: reserved for it and
    PartsReserved, so reception shows the booking ready; a later booking short of the same part waits for more."""
    svc = uow.as_actor(Principal.service("dg", "parts.reception"))
    for ref, qty in (("a-first", D(3)), ("a-later", D(2))):
        await demand.reserve(svc, reference_id=ref, reference_type="appointment", store_id="s1",
                             lines=[PartLine(part_no="PAD-1", quantity=qty)], ask="booked")
        svc.clock.advance(minutes=5)
    assert uow.event_types().count("PartsShortage") == 2  # the one pad on hand went to the first booking
    sup = await stock.create_supplier(uow, c.CreateSupplier(name="上汽配件", locality="local", payment="credit"))
    clerk = uow.as_actor(person(Role.PARTS_CLERK, user="clerk"))
    line = c.ReceiptLineRequest(part_no="PAD-1", shipped=D(3), received=D(3), unit_cost=D("60"))
    r = await purchasing.receive_goods(clerk, c.ReceiveGoods(store_id="s1", supplier_id=sup.id, buyer_id="buyer",
                                                             lines=[line]))
    uow.published.clear()
    await purchasing.shelve_goods(clerk, c.ShelveGoods(receipt_id=r.id, lines=[
        c.ShelvedLine(part_no="PAD-1", shelved=D(3))]))
    reserved = [e for e, _ in uow.published if type(e).__name__ == "PartsReserved"]
    assert [(e.reference_id, [(ln.part_no, ln.quantity) for ln in e.lines]) for e in reserved] == [
        ("a-first", [("PAD-1", D(3))])]
    part = await uow.repo(Parts).get("s1:PAD-1")
    assert part.on_hand == 4 and part.reserved_for("a-first") == 3 and part.reserved_for("a-later") == 1
    assert part.available == 0  # the later booking holds the last one and still waits for one more
