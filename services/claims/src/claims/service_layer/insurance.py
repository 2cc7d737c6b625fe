"""Insurance claims (保险理赔): accident-car intake, the estimate and the insurer's approval, payments,
renewal reminders."""

from __future__ import annotations

import uuid
from datetime import date

from shared.kit import UnitOfWork

from ..adapters.orm import InsuranceClaimRow
from ..adapters.repository import InsuranceClaims
from ..domain.insurance_claim import InsuranceClaim, renewals_due
from .commands import ApproveEstimate, EstimateRepair, OpenInsuranceClaim, RecordPayment, RemindRenewals
from .days import local_today


async def open_insurance_claim(uow: UnitOfWork, cmd: OpenInsuranceClaim) -> InsuranceClaim:
    uow.actor.check_store(cmd.store_id)
    claim = InsuranceClaim.open(id=str(uuid.uuid4()), dealer_group_id=uow.actor.dealer_group_id, now=uow.now(),
                                today=local_today(uow),
                                **cmd.model_dump())
    await uow.repo(InsuranceClaims).add(claim)
    return claim


async def estimate_repair(uow: UnitOfWork, cmd: EstimateRepair) -> InsuranceClaim:
    claim = await uow.repo(InsuranceClaims).get(cmd.claim_id)
    claim.check_version(cmd.version)
    claim.estimate(cmd.amount)
    await uow.repo(InsuranceClaims).save(claim)
    return claim


async def approve_estimate(uow: UnitOfWork, cmd: ApproveEstimate) -> InsuranceClaim:
    claim = await uow.repo(InsuranceClaims).get(cmd.claim_id)
    claim.check_version(cmd.version)
    claim.approve_estimate(approved_amount=cmd.approved_amount, now=uow.now())
    await uow.repo(InsuranceClaims).save(claim)
    return claim


async def record_payment(uow: UnitOfWork, cmd: RecordPayment) -> InsuranceClaim:
    claim = await uow.repo(InsuranceClaims).get(cmd.claim_id)
    claim.record_payment(amount=cmd.amount, payment_ref=cmd.payment_ref, now=uow.now())
    await uow.repo(InsuranceClaims).save(claim)
    return claim


async def remind_renewals(uow: UnitOfWork, cmd: RemindRenewals) -> list[InsuranceClaim]:
    """Renewal reminders (续保提醒) for policies expiring soon, once per policy and renewal window: crm puts them
    on its reminder list. The daily job (service_layer/renewals.py) runs the same for every group."""
    return await renewals_for(uow, local_today(uow), days_ahead=cmd.days_ahead)


async def renewals_for(uow: UnitOfWork, today: date, *, days_ahead: int) -> list[InsuranceClaim]:
    # Every policy not yet expired (not only those in the window: a later expiry on another claim of the same
    # policy means it was renewed already).
    claims = await uow.repo(InsuranceClaims).list(InsuranceClaimRow.policy_expiry >= today)
    reminded = []
    for claim in renewals_due(claims, today, days_ahead=days_ahead):
        if claim.remind_renewal(today, days_ahead=days_ahead):
            await uow.repo(InsuranceClaims).save(claim)
            reminded.append(claim)
    return reminded
