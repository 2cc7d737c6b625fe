"""claims's HTTP API: requests become commands, results become views; nothing else."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import StringConstraints
from shared.kit import Page
from shared.kit.figures import FiguresAnswer, Granularity
from shared.openapi import links_to

from ..adapters.orm import InsuranceClaimRow, WarrantyClaimRow
from ..adapters.repository import InsuranceClaims, WarrantyClaims
from ..domain.receivables import Ageing, ChaseGroup, ageing, chase_list
from ..domain.warranty_claim import ClaimState
from ..service_layer import figures, insurance, warranty
from ..service_layer.commands import (
    ApproveEstimate,
    CorrectLine,
    EstimateRepair,
    OpenInsuranceClaim,
    RecordPayment,
    RemindRenewals,
    ShipParts,
    SignOffPartsIssue,
    SubmitClaim,
)
from . import views
from .deps import FiguresReader, InsuranceDesk, InsuranceReader, WarrantyDesk, WarrantyReader
from .views import InsuranceClaimPublic, LineEligibility, WarrantyClaimPublic

router = APIRouter(tags=["claims"])
StoreId = Annotated[str | None, Query(max_length=64)]
RepairOrderId = Annotated[str, StringConstraints(max_length=64)]


# -- warranty claims (索赔) ------------------------------------------------------------------------
@router.get("/warranty-claims", response_model=list[WarrantyClaimPublic],
            openapi_extra=links_to("/warranty-claims/{claim_id}", claim_id="0/id"))
async def list_warranty_claims(uow: WarrantyReader, page: Page, state: ClaimState | None = None,
                               repair_order_id: Annotated[list[RepairOrderId] | None, Query(max_length=200)] = None,
                               store_id: StoreId = None):
    """The claims of the caller's stores; `repair_order_id` (repeatable, up to 200) keeps those of these orders."""
    t = WarrantyClaimRow
    where = []
    if state is not None:
        where.append(t.state == state.value)
    orders = [ro for ro in repair_order_id or [] if ro]  # an empty value is no filter
    if orders:
        where.append(t.repair_order_id.in_(orders))
    found = await uow.repo(WarrantyClaims).list(*where, order_by=[t.id], page=page, store_id=store_id)
    return views.warranty_claims(uow, found)


@router.get("/warranty-claims/overdue-part-returns", response_model=list[WarrantyClaimPublic])
async def overdue_part_returns(uow: WarrantyReader, page: Page, store_id: StoreId = None):
    """Claims whose old parts the manufacturer asked for and that were not shipped by its deadline."""
    t = WarrantyClaimRow
    found = await uow.repo(WarrantyClaims).list(t.return_parts_by < uow.now().date(), t.parts_shipped.is_(False),
                                                order_by=[t.return_parts_by], page=page, store_id=store_id)
    return views.warranty_claims(uow, found)


@router.get("/warranty-claims/{claim_id}", response_model=WarrantyClaimPublic)
async def get_warranty_claim(claim_id: str, uow: WarrantyReader):
    return views.warranty_claim(uow, await uow.repo(WarrantyClaims).get(claim_id, lock=False))


@router.get("/warranty-claims/{claim_id}/eligibility", response_model=list[LineEligibility])
async def claim_eligibility(claim_id: str, uow: WarrantyReader):
    """Each line's eligibility now, from crm's vehicle record, naming the rule that decided it."""
    claim = await uow.repo(WarrantyClaims).get(claim_id, lock=False)
    answers = await warranty.eligibility(uow, claim)
    return [LineEligibility(line_no=ln.line_no, job_id=ln.job_id, causal_part_no=ln.causal_part_no,
                            eligibility=answers[ln.line_no]) for ln in claim.lines]


@router.post("/warranty-claims/{claim_id}/parts-issue-sign-off", response_model=WarrantyClaimPublic)
async def sign_off_parts_issue(claim_id: str, body: SignOffPartsIssue, run: WarrantyDesk):
    """The specialist signs off the claimed parts issued: tagged (claim number, VIN, part, failure) and stored."""
    return await run(warranty.sign_off_parts_issue, body.bind(claim_id=claim_id), view=views.warranty_claim)


@router.post("/warranty-claims/{claim_id}/lines/{line_no}/correction", response_model=WarrantyClaimPublic)
async def correct_line(claim_id: str, line_no: int, body: CorrectLine, run: WarrantyDesk):
    """Correct a line (failure, causal part, an exclusion) before submitting, or after a return for correction."""
    return await run(warranty.correct_line, body.bind(claim_id=claim_id, line_no=line_no), view=views.warranty_claim)


@router.post("/warranty-claims/{claim_id}/submit", response_model=WarrantyClaimPublic)
async def submit_claim(claim_id: str, body: SubmitClaim, run: WarrantyDesk):
    """Send the claim to the manufacturer (oem.warranty-claims). A line out of warranty is refused (422 naming
    the rule); lines the manufacturer must decide go with it, marked."""
    return await run(warranty.submit_claim, body.bind(claim_id=claim_id), view=views.warranty_claim)


@router.post("/warranty-claims/{claim_id}/parts-shipment", response_model=WarrantyClaimPublic)
async def ship_parts(claim_id: str, body: ShipParts, run: WarrantyDesk):
    """Ship the tagged old parts (旧件) back, when the manufacturer asked for them."""
    return await run(warranty.ship_parts, body.bind(claim_id=claim_id), view=views.warranty_claim)


@router.post("/warranty-claims/{claim_id}/payments", response_model=WarrantyClaimPublic)
async def record_warranty_payment(claim_id: str, body: RecordPayment, run: WarrantyDesk):
    """A payment from the manufacturer, reconciled against this claim; above what is owed is refused (422)."""
    return await run(warranty.record_payment, body.bind(claim_id=claim_id), view=views.warranty_claim)


@router.get("/warranty-receivables/ageing", response_model=Ageing)
async def warranty_ageing(uow: WarrantyReader, store_id: StoreId = None):
    """What the manufacturer owes, by age since the decision."""
    t = WarrantyClaimRow
    found = await uow.repo(WarrantyClaims).list(t.outstanding > 0, store_id=store_id)
    return ageing([views.warranty_receivable(c) for c in found], uow.now().date())


# -- insurance claims (保险理赔) -------------------------------------------------------------------
@router.post("/insurance-claims", status_code=201, response_model=InsuranceClaimPublic,
             openapi_extra=links_to("/insurance-claims/{claim_id}"))
async def open_insurance_claim(body: OpenInsuranceClaim, run: InsuranceDesk):
    """Accident-car intake: accident, insurer, policy, liability, towing, surveyor and the payment route."""
    return await run(insurance.open_insurance_claim, body, view=views.insurance_claim, status=201)


@router.get("/insurance-claims", response_model=list[InsuranceClaimPublic])
async def list_insurance_claims(uow: InsuranceReader, page: Page,
                                vehicle_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                                repair_order_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                                store_id: StoreId = None):
    """The insurance claims at the caller's stores: a vehicle's (its history reads them), a repair order's
    (its status reads them), or all, newest first by the page's order."""
    t = InsuranceClaimRow
    where = [c for c in (t.vehicle_id == vehicle_id if vehicle_id else None,
                         t.repair_order_id == repair_order_id if repair_order_id else None) if c is not None]
    found = await uow.repo(InsuranceClaims).list(*where, page=page, store_id=store_id)
    return views.insurance_claims(uow, found)


@router.get("/insurance-claims/{claim_id}", response_model=InsuranceClaimPublic)
async def get_insurance_claim(claim_id: str, uow: InsuranceReader):
    return views.insurance_claim(uow, await uow.repo(InsuranceClaims).get(claim_id, lock=False))


@router.post("/insurance-claims/{claim_id}/estimate", response_model=InsuranceClaimPublic)
async def estimate_repair(claim_id: str, body: EstimateRepair, run: InsuranceDesk):
    return await run(insurance.estimate_repair, body.bind(claim_id=claim_id), view=views.insurance_claim)


@router.post("/insurance-claims/{claim_id}/estimate-approval", response_model=InsuranceClaimPublic)
async def approve_estimate(claim_id: str, body: ApproveEstimate, run: InsuranceDesk):
    """The insurer's approval of the estimate (at most the estimate)."""
    return await run(insurance.approve_estimate, body.bind(claim_id=claim_id), view=views.insurance_claim)


@router.post("/insurance-claims/{claim_id}/payments", response_model=InsuranceClaimPublic)
async def record_insurance_payment(claim_id: str, body: RecordPayment, run: InsuranceDesk):
    """The insurer's payment; above what is owed is refused (422)."""
    return await run(insurance.record_payment, body.bind(claim_id=claim_id), view=views.insurance_claim)


@router.post("/insurance-renewal-reminders", response_model=list[InsuranceClaimPublic])
async def remind_renewals(body: RemindRenewals, run: InsuranceDesk):
    """Renewal reminders (续保提醒) for policies expiring soon, once each, for crm's reminder list."""
    return await run(insurance.remind_renewals, body, view=views.insurance_claims)


@router.get("/insurance-receivables/ageing", response_model=Ageing)
async def insurance_ageing(uow: InsuranceReader, store_id: StoreId = None):
    found = await uow.repo(InsuranceClaims).list(InsuranceClaimRow.outstanding > 0, store_id=store_id)
    return ageing([views.insurance_receivable(c) for c in found], uow.now().date())


@router.get("/insurance-receivables/chase-list", response_model=list[ChaseGroup])
async def insurance_chase_list(uow: InsuranceReader, store_id: StoreId = None):
    """The weekly chase list (每周催收): open amounts a week old or more, by insurer and age."""
    found = await uow.repo(InsuranceClaims).list(InsuranceClaimRow.outstanding > 0, store_id=store_id)
    return chase_list([views.insurance_receivable(c) for c in found], uow.now().date())


# -- figures (KPIs) ---------------------------------------------------------------------------------
@router.get("/figures", response_model=FiguresAnswer)
async def claims_figures(uow: FiguresReader, date_from: date, date_to: date,
                         granularity: Granularity = Granularity.DAY, store_id: StoreId = None):
    """The claims desk's KPIs per store and day, week or month (store-local dates): warranty claims submitted
    and their value, approved and paid value, approval rate; insurance claims opened, approved and paid value.
    docs/kpis.md "## claims" defines them. Without `store_id`: the caller's stores (a group role: every store
    with claims)."""
    return await figures.figures(uow, date_from, date_to, granularity, store_id)
