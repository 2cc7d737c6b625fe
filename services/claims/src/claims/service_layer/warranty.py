"""Warranty claims (索赔): opened from repair orders' warranty jobs, eligibility, submission, the
manufacturer's decisions, old-part returns and payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shared.contracts import claims as oem
from shared.contracts.common import PayType, RepairJob
from shared.errors import DomainError, NotFound
from shared.kit import UnitOfWork

from ..adapters import repository as repo
from ..adapters.repository import WarrantyClaims
from ..domain.eligibility import Eligibility, check_eligibility
from ..domain.warranty_claim import WarrantyClaim, claim_id_for
from .commands import ClaimCommand, CorrectLine, RecordPayment, ShipParts, SignOffPartsIssue, SubmitClaim
from .days import local_today


def warranty_jobs(jobs: list[RepairJob]) -> list[RepairJob]:
    return [j for j in jobs if j.pay_type is PayType.WARRANTY]


async def eligibility(uow: UnitOfWork, claim: WarrantyClaim, on: date | None = None) -> dict[int, Eligibility]:
    """Each line's eligibility from crm's vehicle record as claims keeps it."""
    _, cover = await repo.vehicle_cover(uow, claim.vehicle_id)
    return {ln.line_no: check_eligibility(cover, repair_date=on or claim.repair_date, odometer_km=claim.odometer_km,
                                          causal_part_no=ln.causal_part_no, exclusion=ln.exclusion)
            for ln in claim.lines}


async def open_claim(uow: UnitOfWork, *, repair_order_id: str, jobs: list[RepairJob], cause: str = "") -> None:
    """Open the repair order's claim for its warranty jobs, or add them to its claim not yet submitted.
    The same jobs delivered again change nothing."""
    jobs = warranty_jobs(jobs)
    if not jobs:
        return
    claims = uow.repo(WarrantyClaims)
    claim_id = claim_id_for(repair_order_id)
    first = await claims.find(claim_id)
    if first is not None and first.state.value in {"open", "returned_for_correction"}:
        first.add_jobs(jobs)  # jobs already on it change nothing
        await claims.save(first)
        return
    if first is not None:
        if not cause:
            return  # RepairOrderOpened delivered again
        claim_id = claim_id_for(repair_order_id, cause)  # added work after submission: a claim of its own
        if await claims.find(claim_id) is not None:
            return
    ro = await repo.repair_order(uow, repair_order_id)
    if ro is None:
        raise NotFound(f"repair order {repair_order_id} is not known to claims yet", field="repair_order_id")
    vehicle, _ = await repo.vehicle_cover(uow, ro.vehicle_id)
    if vehicle is None:
        raise NotFound(f"vehicle {ro.vehicle_id} is not known to claims yet (crm.customers)", field="vehicle_id")
    claim = WarrantyClaim.open(
        id=claim_id, dealer_group_id=ro.dealer_group_id, store_id=ro.store_id,
        claim_number=f"WC-{claim_id.replace('-', '')[:12].upper()}", repair_order_id=repair_order_id,
        repair_order_number=ro.number or repair_order_id, vehicle_id=ro.vehicle_id, vin=vehicle.vin,
        odometer_km=ro.odometer_km, jobs=jobs, now=uow.now(), today=local_today(uow))
    claim.assess(await eligibility(uow, claim))
    await claims.add(claim)


async def _change(uow: UnitOfWork, cmd: ClaimCommand) -> WarrantyClaim:
    claim = await uow.repo(WarrantyClaims).get(cmd.claim_id)
    claim.check_version(cmd.version)
    return claim


async def sign_off_parts_issue(uow: UnitOfWork, cmd: SignOffPartsIssue) -> WarrantyClaim:
    claim = await _change(uow, cmd)
    claim.sign_off_parts_issue(by=uow.actor.user_id)
    await uow.repo(WarrantyClaims).save(claim)
    return claim


async def correct_line(uow: UnitOfWork, cmd: CorrectLine) -> WarrantyClaim:
    claim = await _change(uow, cmd)
    claim.correct_line(cmd.line_no, failure=cmd.failure, causal_part_no=cmd.causal_part_no,
                       exclusion=cmd.exclusion, clear_exclusion=cmd.clear_exclusion)
    claim.assess(await eligibility(uow, claim))
    await uow.repo(WarrantyClaims).save(claim)
    return claim


async def submit_claim(uow: UnitOfWork, cmd: SubmitClaim) -> WarrantyClaim:
    """Submit: every line checked again against crm's vehicle record; a line out of warranty is refused (422
    naming the rule), a line the manufacturer must decide goes with the claim, marked."""
    claim = await _change(uow, cmd)
    claim.submit(answers=await eligibility(uow, claim), now=uow.now())
    await uow.repo(WarrantyClaims).save(claim)
    return claim


async def ship_parts(uow: UnitOfWork, cmd: ShipParts) -> WarrantyClaim:
    claim = await _change(uow, cmd)
    claim.ship_parts(shipment_ref=cmd.shipment_ref, part_nos=cmd.part_nos)
    await uow.repo(WarrantyClaims).save(claim)
    return claim


async def record_payment(uow: UnitOfWork, cmd: RecordPayment) -> WarrantyClaim:
    claim = await uow.repo(WarrantyClaims).get(cmd.claim_id)
    claim.record_payment(amount=cmd.amount, payment_ref=cmd.payment_ref, now=uow.now())
    await uow.repo(WarrantyClaims).save(claim)
    return claim


def as_v2(e: oem.OemWarrantyClaimDecided) -> tuple[oem.OemWarrantyClaimDecidedV2, Decimal | None]:
    """Version 1 of a decision (a total, no lines, the claim's first submission) read as version 2."""
    try:
        decision = oem.OemDecision(e.decision)
    except ValueError:
        raise DomainError(f"unknown decision {e.decision!r}; one of {', '.join(oem.OemDecision)}",
                          field="decision") from None
    approved = e.approved_amount if decision in {oem.OemDecision.APPROVED, oem.OemDecision.PARTLY_APPROVED} else None
    return oem.OemWarrantyClaimDecidedV2(claim_number=e.claim_number, decision=decision,
                                         reason_codes=e.reason_codes), approved


async def apply_decision(uow: UnitOfWork, e: oem.OemWarrantyClaimDecided | oem.OemWarrantyClaimDecidedV2) -> None:
    """The manufacturer's decision. A claim number we never sent is refused: the consumer dead-letters it."""
    d, approved_total = as_v2(e) if isinstance(e, oem.OemWarrantyClaimDecided) else (e, None)
    claim = await uow.repo(WarrantyClaims).by_number(d.claim_number)
    if claim is None:
        raise NotFound(f"no warranty claim {d.claim_number} in dealer group {uow.actor.dealer_group_id}",
                       field="claim_number")
    if claim.decide(d, now=uow.now(), approved_total=approved_total):
        await uow.repo(WarrantyClaims).save(claim)
