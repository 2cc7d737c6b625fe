"""claims's handlers on the in-memory unit of work: no PostgreSQL, no Kafka."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from claims.adapters import repository as repo
from claims.adapters.repository import WarrantyClaims
from claims.config import Settings
from claims.domain.eligibility import VehicleCover
from claims.domain.warranty_claim import ClaimState, claim_id_for
from claims.service_layer import insurance, warranty
from claims.service_layer.commands import (
    ApproveEstimate,
    EstimateRepair,
    OpenInsuranceClaim,
    RecordPayment,
    SignOffPartsIssue,
    SubmitClaim,
)
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.contracts.claims import OemDecision, OemWarrantyClaimDecided, OemWarrantyClaimDecidedV2
from shared.contracts.common import PartLine, PayType, RepairJob
from shared.errors import DomainError, NotFound
from shared.kit import InMemoryUnitOfWork

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SH)
VIN = "LSVAU2180N2183294"
SPECIALIST = Principal(user_id="ws-1", name="ws-1", dealer_group_id="dg", roles=frozenset({Role.WARRANTY_SPECIALIST}),
                       store_ids=frozenset({"s-1"}))
CLERK = Principal(user_id="ic-1", name="ic-1", dealer_group_id="dg", roles=frozenset({Role.INSURANCE_CLERK}),
                  store_ids=frozenset({"s-1"}))
CONSUMER = Principal.service("dg", "claims.repair-orders")


@pytest.fixture
def vehicle(monkeypatch):
    """crm's vehicle record and the repair order as claims keeps them (SQL replicas, faked here)."""
    facts = SimpleNamespace(vin=VIN, sale_date=date(2025, 1, 10), warranty_years=3, warranty_km=100_000)

    async def cover(uow, vehicle_id):
        return facts, VehicleCover(sale_date=facts.sale_date, warranty_start=None, warranty_years=facts.warranty_years,
                                   warranty_km=facts.warranty_km)

    async def ro(uow, repair_order_id):
        return SimpleNamespace(dealer_group_id="dg", store_id="s-1", number="RO-1", vehicle_id="v-1",
                               odometer_km=facts.__dict__.get("odometer_km", 20_000))

    monkeypatch.setattr(repo, "vehicle_cover", cover)
    monkeypatch.setattr(repo, "repair_order", ro)
    return facts


def jobs(pay_type=PayType.WARRANTY, job_id="j-1"):
    return [RepairJob(job_id=job_id, description="water pump leaking", pay_type=pay_type, operation_code="WP-01",
                      flat_rate_hours=Decimal("1.2"), labour_amount=Decimal("360.00"),
                      parts=[PartLine(part_no="WP-100", quantity=Decimal(1), unit_price=Decimal("512.50"))]),
            RepairJob(job_id="j-c", description="wash", pay_type=PayType.CUSTOMER, flat_rate_hours=Decimal("0.2"))]


async def test_warranty_jobs_open_one_claim_however_often_delivered(vehicle):
    uow = InMemoryUnitOfWork(clock=FixedClock(NOW), settings=Settings(), actor=CONSUMER)
    await warranty.open_claim(uow, repair_order_id="ro-1", jobs=jobs())
    await warranty.open_claim(uow, repair_order_id="ro-1", jobs=jobs())
    assert uow.event_types() == ["WarrantyClaimOpened"]
    opened = uow.published[0][0]
    assert opened.amount == Decimal("872.50") and opened.job_ids == ["j-1"]
    await warranty.open_claim(uow, repair_order_id="ro-2", jobs=jobs(PayType.CUSTOMER))
    assert uow.event_types() == ["WarrantyClaimOpened"]


async def test_added_warranty_work_after_submission_opens_a_claim_of_its_own(vehicle):
    uow = InMemoryUnitOfWork(clock=FixedClock(NOW), settings=Settings(), actor=CONSUMER)
    await warranty.open_claim(uow, repair_order_id="ro-1", jobs=jobs())
    desk = uow.as_actor(SPECIALIST)
    cid = claim_id_for("ro-1")
    await warranty.sign_off_parts_issue(desk, SignOffPartsIssue(claim_id=cid, version=1))
    await warranty.submit_claim(desk, SubmitClaim(claim_id=cid, version=2))
    added = jobs(job_id="j-2")[:1]
    await warranty.open_claim(uow, repair_order_id="ro-1", jobs=added, cause="f-1")
    await warranty.open_claim(uow, repair_order_id="ro-1", jobs=added, cause="f-1")
    assert uow.event_types() == ["WarrantyClaimOpened", "WarrantyClaimSubmitted", "OemWarrantyClaimSubmittedV2",
                                 "WarrantyClaimOpened"]


async def test_submit_refuses_a_vehicle_out_of_warranty_naming_the_rule(vehicle):
    vehicle.sale_date = date(2020, 1, 1)
    uow = InMemoryUnitOfWork(clock=FixedClock(NOW), settings=Settings(), actor=CONSUMER)
    await warranty.open_claim(uow, repair_order_id="ro-1", jobs=jobs())
    desk = uow.as_actor(SPECIALIST)
    cid = claim_id_for("ro-1")
    await warranty.sign_off_parts_issue(desk, SignOffPartsIssue(claim_id=cid, version=1))
    with pytest.raises(DomainError, match="time_limit"):
        await warranty.submit_claim(desk, SubmitClaim(claim_id=cid, version=2))


async def test_a_decision_runs_to_payment_and_an_unknown_claim_is_refused(vehicle):
    uow = InMemoryUnitOfWork(clock=FixedClock(NOW), settings=Settings(), actor=CONSUMER)
    await warranty.open_claim(uow, repair_order_id="ro-1", jobs=jobs())
    desk = uow.as_actor(SPECIALIST)
    cid = claim_id_for("ro-1")
    await warranty.sign_off_parts_issue(desk, SignOffPartsIssue(claim_id=cid, version=1))
    claim = await warranty.submit_claim(desk, SubmitClaim(claim_id=cid, version=2))
    claims_repo = uow.repo(WarrantyClaims)

    async def by_number(number):
        return await claims_repo.find(cid) if number == claim.claim_number else None
    claims_repo.by_number = by_number
    await warranty.apply_decision(uow, OemWarrantyClaimDecided(claim_number=claim.claim_number, decision="approved",
                                                               approved_amount=Decimal("872.50")))
    with pytest.raises(NotFound):
        await warranty.apply_decision(uow, OemWarrantyClaimDecidedV2(claim_number="WC-NOPE",
                                                                     decision=OemDecision.APPROVED))
    with pytest.raises(DomainError, match="more than the 872.50 still owed"):
        await warranty.record_payment(desk, RecordPayment(claim_id=cid, amount=Decimal("900"), payment_ref="P1"))
    paid = await warranty.record_payment(desk, RecordPayment(claim_id=cid, amount=Decimal("872.50"), payment_ref="P1"))
    assert paid.state is ClaimState.PAID
    assert uow.event_types()[-2:] == ["WarrantyClaimApproved", "WarrantyPaymentReceived"]


async def test_an_insurance_claim_from_intake_to_payment():
    uow = InMemoryUnitOfWork(clock=FixedClock(NOW), settings=Settings(), actor=CLERK)
    c = await insurance.open_insurance_claim(uow, OpenInsuranceClaim(
        store_id="s-1", vehicle_id="v-1", accident_date=date(2026, 11, 28), insurer="PICC", policy_number="P-1",
        liability="full", towing=True, surveyor="李查勘", payment_route="insurer_pays_store"))
    await insurance.estimate_repair(uow, EstimateRepair(claim_id=c.id, version=1, amount=Decimal("5200")))
    with pytest.raises(DomainError, match="more than the 5200.00 estimated"):
        await insurance.approve_estimate(uow, ApproveEstimate(claim_id=c.id, version=2, approved_amount=Decimal(6000)))
    await insurance.approve_estimate(uow, ApproveEstimate(claim_id=c.id, version=2, approved_amount=Decimal(5000)))
    with pytest.raises(DomainError, match="at most the 5000.00"):
        await insurance.record_payment(uow, RecordPayment(claim_id=c.id, amount=Decimal("5001"), payment_ref="X"))
    await insurance.record_payment(uow, RecordPayment(claim_id=c.id, amount=Decimal("5000"), payment_ref="X"))
    assert uow.event_types() == ["InsuranceClaimOpened", "InsuranceEstimateApproved", "InsurancePaymentReceived"]


async def test_an_accident_and_a_repair_today_are_dated_by_the_stores_day_not_utcs(vehicle):
    """At 01:30 in Shanghai it is still yesterday in UTC: an accident today is not in the future, and a warranty
    repair today is dated today for the manufacturer (its late-submission rule counts from it)."""
    early = datetime(2026, 12, 2, 1, 30, tzinfo=SH).astimezone(UTC)  # the service clock answers UTC
    uow = InMemoryUnitOfWork(clock=FixedClock(early), settings=Settings(), actor=CLERK)
    c = await insurance.open_insurance_claim(uow, OpenInsuranceClaim(
        store_id="s-1", vehicle_id="v-1", accident_date=date(2026, 12, 2), insurer="PICC", policy_number="P-1",
        liability="full", payment_route="insurer_pays_store"))
    assert c.accident_date == date(2026, 12, 2)
    with pytest.raises(DomainError, match="future"):
        await insurance.open_insurance_claim(uow, OpenInsuranceClaim(
            store_id="s-1", vehicle_id="v-1", accident_date=date(2026, 12, 3), insurer="PICC", policy_number="P-1",
            liability="full", payment_route="insurer_pays_store"))
    consumer = InMemoryUnitOfWork(clock=FixedClock(early), settings=Settings(), actor=CONSUMER)
    await warranty.open_claim(consumer, repair_order_id="ro-early", jobs=jobs())
    claim = await consumer.repo(WarrantyClaims).get(claim_id_for("ro-early"), lock=False)
    assert claim.repair_date == date(2026, 12, 2)
