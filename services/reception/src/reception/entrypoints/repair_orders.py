"""Check-in, repair orders, added work, settlement and delivery over HTTP: requests become commands."""

from __future__ import annotations

from fastapi import APIRouter, Request
from shared.commands import run_command
from shared.db import unit_of_work

from ..adapters import repository as repo
from ..domain.pricing import estimate
from ..domain.repair_order import RepairOrder, RoState, recommended_work
from ..service_layer import commands as c
from ..service_layer import repair_orders as handlers
from ..service_layer.common import Context
from .deps import Advisor, Cashier, Reader, context

router = APIRouter(tags=["check-in and repair orders"])


async def view(session, ctx: Context, ro: RepairOrder) -> dict:
    out = ro.model_dump(mode="json")
    out["estimate"] = estimate(ro.jobs, ro.materials).model_dump(mode="json")
    out["delivery_blockers"] = ro.delivery_blockers() if ro.state is RoState.OPEN else []
    history = await repo.vehicle_history(session, ro.dealer_group_id, ro.vehicle_id, exclude=ro.id)
    out["recommended_work"] = recommended_work(history, ro.check_in)
    return out


def _command(request: Request, principal, body, status: int, fn):
    ctx = context(request)

    async def handle(session):
        ro = await fn(session, ctx)
        return status, await view(session, ctx, ro)

    return run_command(request, principal, body, handle)


@router.post("/check-ins", status_code=201)
async def check_in(body: c.CheckIn, request: Request, principal: Advisor):
    """Receive a car (接车): the check-in sheet. A first visit records the customer and vehicle for crm.
    Publishes VehicleCheckedIn (and WalkInCustomerRecorded on a first visit)."""
    principal.check_store(body.store_id)
    return await _command(request, principal, body, 201,
                          lambda s, ctx: handlers.check_in(s, ctx, principal, body))


@router.get("/repair-orders/{ro_id}")
async def get_repair_order(ro_id: str, request: Request, principal: Reader):
    """The order with its estimate, what the delivery check still misses and the recommended work."""
    ctx = context(request)
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        ro = await repo.load_repair_order(session, principal.dealer_group_id, ro_id, lock=False)
        principal.check_store(ro.store_id)
        return await view(session, ctx, ro)


@router.post("/repair-orders/{ro_id}/open")
async def open_order(ro_id: str, body: c.OpenOrder, request: Request, principal: Advisor):
    """The customer signs the repair order (任务委托书). Publishes RepairOrderOpened with the jobs."""
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.open_order(s, ctx, principal, ro_id, body))


@router.post("/repair-orders/{ro_id}/added-work/{finding_id}/decision")
async def decide_added_work(ro_id: str, finding_id: str, body: c.DecideAddedWork, request: Request,
                            principal: Advisor):
    """Price added work (增项) and record the customer's decision: AdditionalWorkApproved (new estimate
    version) or AdditionalWorkDeclined (a safety item needs the customer's signature)."""
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.decide_added_work(s, ctx, principal, ro_id, finding_id, body))


@router.get("/repair-orders/{ro_id}/settlement")
async def get_settlement(ro_id: str, request: Request, principal: Reader):
    """The settlement sheet (结算单) by pay type, as it prints now."""
    ctx = context(request)
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        ro = await repo.load_repair_order(session, principal.dealer_group_id, ro_id, lock=False)
        principal.check_store(ro.store_id)
        sheet = await handlers.settlement_sheet(session, ctx, ro)
        return {"repair_order_id": ro.id, "number": ro.number, "state": ro.state.value,
                "invoice_number": ro.invoice_number, "gate_pass": ro.gate_pass,
                "delivery_blockers": ro.delivery_blockers() if ro.state is RoState.OPEN else [],
                **sheet.model_dump(mode="json")}


@router.post("/repair-orders/{ro_id}/invoice")
async def invoice(ro_id: str, body: c.InvoiceOrder, request: Request, principal: Cashier):
    """Settle (结算): refused with 409 listing what is missing until the delivery check passes. Issues the
    store's next invoice number and the gate pass (出门证); publishes RepairOrderInvoiced."""
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.invoice(s, ctx, principal, ro_id, body))


@router.post("/repair-orders/{ro_id}/deliver")
async def deliver(ro_id: str, body: c.DeliverVehicle, request: Request, principal: Cashier):
    """Hand the car back (交车); publishes VehicleDelivered with the next service date and mileage."""
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.deliver(s, ctx, principal, ro_id, body))


@router.post("/repair-orders/{ro_id}/cancel")
async def cancel(ro_id: str, body: c.CancelOrder, request: Request, principal: Advisor):
    return await _command(request, principal, body, 200,
                          lambda s, ctx: handlers.cancel(s, ctx, principal, ro_id, body))
