"""A delivery from reception (交车): the visit, its follow-up call, the odometer, and the call tasks it settles
or creates."""

from __future__ import annotations

from datetime import date

from shared.contracts.reception import VehicleDelivered
from shared.errors import DomainError
from shared.kit import UnitOfWork
from shared.observability import get_logger

from ..adapters import repository as repo
from ..adapters.orm import CallTaskRow
from ..adapters.repository import CallTasks, Customers, FollowUps, Vehicles
from ..domain.call_task import VISIT_CLOSES, CallTaskStatus
from ..domain.follow_up import FollowUp
from ..domain.model import Customer, Vehicle
from ..domain.reminders import TaskKind, declined_work_reminder, is_call_target, lapsed_return_call
from .call_tasks import add_task
from .common import local_day, store_tz
from .customers import add_odometer_reading

log = get_logger(__name__)


async def vehicle_delivered(uow: UnitOfWork, e: VehicleDelivered) -> None:
    """Record the visit and schedule the follow-up (100% of deliveries, once per repair order), take the
    odometer, close the reminders the visit answers, call a returning lapsed customer, offer declined work."""
    env = uow.envelope
    vehicle = await uow.repo(Vehicles).get(e.vehicle_id, lock=False)
    customer = await uow.repo(Customers).get(e.customer_id, lock=False)
    if not await repo.record_visit(
            uow, repair_order_id=e.repair_order_id, dealer_group_id=env.tenant.dealer_group_id,
            store_id=env.tenant.store_id, vehicle_id=vehicle.id, customer_id=customer.id, advisor_id=e.advisor_id,
            delivered_at=env.time, odometer_km=e.odometer_km, next_service_date=e.next_service_date,
            next_service_km=e.next_service_km, declined_work=list(e.declined_work)):
        log.info("crm.delivery_already_known", repair_order_id=e.repair_order_id)
        return
    follow_up = FollowUp.schedule(dealer_group_id=env.tenant.dealer_group_id, store_id=env.tenant.store_id,
                                  repair_order_id=e.repair_order_id, customer_id=customer.id, vehicle_id=vehicle.id,
                                  advisor_id=e.advisor_id, delivered_at=env.time,
                                  contact_window=customer.contact_window, tz=store_tz(uow))
    await uow.repo(FollowUps).add(follow_up)
    delivered_on = local_day(uow, env.time)
    if e.odometer_km is not None:
        await odometer_quietly(uow, vehicle.id, delivered_on, e.odometer_km, source="delivery",
                               ref=e.repair_order_id)
    await _settle_tasks(uow, e, vehicle, customer, delivered_on)


async def odometer_quietly(uow: UnitOfWork, vehicle_id: str, read_on: date, km: int, *, source: str,
                           ref: str) -> None:
    """A reading another service reported: one against the history is kept out (logged); the event still counts."""
    try:
        async with uow.session.begin_nested():
            await add_odometer_reading(uow, vehicle_id, read_on=read_on, km=km, source=source, check_future=False)
    except DomainError as err:
        log.warning(f"crm.{source.replace('-', '_')}_odometer_refused", ref=ref, vehicle_id=vehicle_id,
                    error=err.message)


async def _settle_tasks(uow: UnitOfWork, e: VehicleDelivered, vehicle: Vehicle, customer: Customer,
                        delivered_on: date) -> None:
    tasks, now = uow.repo(CallTasks), uow.now()
    t = CallTaskRow
    # The visit answers the service reminders for this vehicle.
    for task in await tasks.list(t.vehicle_id == vehicle.id, t.status == CallTaskStatus.OPEN.value,
                                 t.kind.in_([k.value for k in VISIT_CLOSES])):
        task.cancel_for_visit(now)
        await tasks.save(task)
    # A lapsed customer who comes back gets a call 7 days later.
    lapsed = await tasks.list(t.customer_id == customer.id, t.kind == TaskKind.LAPSED_CUSTOMER.value,
                              t.returned_repair_order_id.is_(None), t.created_at <= uow.envelope.time)
    for task in lapsed:
        task.customer_came_back(e.repair_order_id, now)
        await tasks.save(task)
    if not is_call_target(customer.call_facts(), delivered_on):
        return
    store = uow.envelope.tenant.store_id
    if lapsed:
        await add_task(uow, lapsed_return_call(customer_id=customer.id, vehicle_id=vehicle.id, store_id=store,
                                               repair_order_id=e.repair_order_id, delivered_on=delivered_on))
    declined = declined_work_reminder(customer_id=customer.id, vehicle_id=vehicle.id, store_id=store,
                                      repair_order_id=e.repair_order_id, delivered_on=delivered_on,
                                      declined=e.declined_work)
    if declined:
        await add_task(uow, declined)
