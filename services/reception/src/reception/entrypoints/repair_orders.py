"""Check-in, repair orders, added work, settlement and delivery over HTTP: requests become commands."""

from __future__ import annotations

from fastapi import APIRouter
from shared.kit import Page
from shared.openapi import links_to

from ..adapters import repository as repo
from ..adapters.repository import RepairOrders
from ..service_layer import commands as c
from ..service_layer import repair_orders as handlers
from . import views
from .deps import Advisor, Cashier, Reader

router = APIRouter(tags=["check-in and repair orders"])


@router.post("/check-ins", status_code=201, response_model=views.RepairOrderPublic,
             openapi_extra=links_to("/repair-orders/{ro_id}"))
async def check_in(body: c.CheckIn, run: Advisor):
    """Receive a car (接车): the check-in sheet. A first visit records the customer and vehicle for crm.
    409 while the vehicle has an order checked in or open (put new work on it), and for a plate differing from
    the record unless `confirm_plate_change`. Publishes VehicleCheckedIn (and WalkInCustomerRecorded on a first
    visit)."""
    return await run(handlers.check_in, body, view=views.repair_order, status=201)


@router.get("/vehicles/{vehicle_id}/repair-orders", response_model=list[views.VisitPublic])
async def orders_of_vehicle(vehicle_id: str, uow: Reader, page: Page):
    """The vehicle's repair orders by opening (one not yet opened last), at the caller's stores only: the vehicle
    is a group record, its visits are the stores' (a group role sees every store's)."""
    return [views.visit(uow, ro) for ro in await repo.orders_of_vehicle(uow, vehicle_id, page)]


@router.get("/repair-orders/{ro_id}", response_model=views.RepairOrderPublic)
async def get_repair_order(ro_id: str, uow: Reader):
    """The order with its estimate, what the delivery check still misses and the recommended work."""
    return await views.repair_order(uow, await uow.repo(RepairOrders).get(ro_id, lock=False))


@router.post("/repair-orders/{ro_id}/open", response_model=views.RepairOrderPublic)
async def open_order(ro_id: str, body: c.OpenOrder, run: Advisor):
    """The customer signs the repair order (任务委托书). Publishes RepairOrderOpened with the jobs."""
    return await run(handlers.open_order, body.bind(repair_order_id=ro_id), view=views.repair_order)


@router.post("/repair-orders/{ro_id}/added-work/{finding_id}/decision", response_model=views.RepairOrderPublic)
async def decide_added_work(ro_id: str, finding_id: str, body: c.DecideAddedWork, run: Advisor):
    """Price added work (增项) and record the customer's decision: AdditionalWorkApproved (new estimate
    version) or AdditionalWorkDeclined (a safety item needs the customer's signature)."""
    return await run(handlers.decide_added_work, body.bind(repair_order_id=ro_id, finding_id=finding_id),
                     view=views.repair_order)


@router.get("/repair-orders/{ro_id}/settlement", response_model=views.SettlementPublic)
async def get_settlement(ro_id: str, uow: Reader):
    """The settlement sheet (结算单) by pay type, as it prints now."""
    return await views.settlement(uow, await uow.repo(RepairOrders).get(ro_id, lock=False))


@router.post("/repair-orders/{ro_id}/invoice", response_model=views.RepairOrderPublic)
async def invoice(ro_id: str, body: c.InvoiceOrder, run: Cashier):
    """Settle (结算): refused with 409 listing what is missing until the delivery check passes. Issues the
    store's next invoice number and the gate pass (出门证); publishes RepairOrderInvoiced."""
    return await run(handlers.invoice, body.bind(repair_order_id=ro_id), view=views.repair_order)


@router.post("/repair-orders/{ro_id}/deliver", response_model=views.RepairOrderPublic)
async def deliver(ro_id: str, body: c.DeliverVehicle, run: Cashier):
    """Hand the car back (交车) with the next service date and mileage (on the answer and the settlement
    sheet); publishes VehicleDelivered with them."""
    return await run(handlers.deliver, body.bind(repair_order_id=ro_id), view=views.repair_order)


@router.post("/repair-orders/{ro_id}/cancel", response_model=views.RepairOrderPublic)
async def cancel(ro_id: str, body: c.CancelOrder, run: Advisor):
    return await run(handlers.cancel, body.bind(repair_order_id=ro_id), view=views.repair_order)
