"""A delivery from reception (交车): the visit, its follow-up call, the odometer, and the call tasks it settles
or creates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from shared.contracts.reception import VehicleDelivered
from shared.errors import DomainError, NotFound
from shared.kit import BatchWrites, UnitOfWork
from shared.observability import get_logger

from ..adapters import repository as repo
from ..adapters.repository import CallTasks, Customers, FollowUps, Vehicles
from ..domain.call_task import VISIT_CLOSES, CallTask, CallTaskStatus
from ..domain.follow_up import FollowUp
from ..domain.model import Customer, Vehicle
from ..domain.reminders import (
    Reading,
    Reminder,
    TaskKind,
    declined_work_reminder,
    is_call_target,
    lapsed_return_call,
)
from .common import local_day, store_tz
from .customers import add_odometer_reading

log = get_logger(__name__)


async def vehicles_delivered(items: list[tuple[UnitOfWork, VehicleDelivered]]) -> None:
    """Record each visit and schedule its follow-up (100% of deliveries, once per repair order), take the
    odometer, close the reminders the visit answers, call a returning lapsed customer, offer declined work.

    A fetched batch at a time (EventHandlers.on_batch): what the deliveries need is loaded in a few queries,
    each delivery is decided in memory in record order (a later one sees what an earlier one changed), and
    the writes go as one executemany per statement. An unknown vehicle or customer fails the batch, which
    the consumer then handles one delivery at a time (the unknown one is dead-lettered)."""
    batch = await _Batch.load(items)
    for uow, e in items:
        await batch.deliver(uow, e)
    await batch.add_tasks()
    await batch.writes.send()


@dataclass
class _Batch:
    """A batch of deliveries: what they read, loaded once, and what they write, held (shared.kit.BatchWrites)."""

    first: UnitOfWork  # its repositories load and track the batch's records; each delivery acts as itself
    aliases: dict[tuple[str, str, str], str]
    vehicles: dict[str, Vehicle]
    customers: dict[str, Customer]
    known_visits: set[str]
    tasks: list[tuple[CallTask, datetime]]
    readings: dict[str, list[Reading]]
    writes: BatchWrites
    new_tasks: list[tuple[UnitOfWork, CallTask]] = field(default_factory=list)

    @classmethod
    async def load(cls, items: list[tuple[UnitOfWork, VehicleDelivered]]) -> _Batch:
        first = items[0][0]
        aliases = await repo.aliases(first, {e.vehicle_id for _, e in items} | {e.customer_id for _, e in items})

        def kept(uow: UnitOfWork, kind: str, id: str) -> str:
            return aliases.get((uow.actor.dealer_group_id, kind, id), id)

        vehicle_ids = {kept(u, "vehicle", e.vehicle_id) for u, e in items}
        read = {kept(u, "vehicle", e.vehicle_id) for u, e in items if e.odometer_km is not None}
        vehicles = {**await first.repo(Vehicles).find_many(vehicle_ids - read),
                    **await first.repo(Vehicles).find_many(read, lock=True)}  # locked: the odometer may change
        customer_ids = {kept(u, "customer", e.customer_id) for u, e in items}
        customers = await first.repo(Customers).find_many(customer_ids)
        known = await repo.known_visits(first, {e.repair_order_id for _, e in items})
        tasks = await repo.tasks_settled_by_visits(first, vehicle_ids, customer_ids, [k.value for k in VISIT_CLOSES])
        readings = await repo.readings_of(first, read) if read else {}
        return cls(first, aliases, vehicles, customers, known, tasks, readings, BatchWrites(first.session))

    def _record(self, found: dict, kind: str, uow: UnitOfWork, id: str, cls: type, field_name: str):
        """The vehicle or customer a delivery names (through an alias), of its own dealer group, else 404."""
        dg = uow.actor.dealer_group_id
        agg = found.get(self.aliases.get((dg, kind, id), id))
        if agg is None or agg.dealer_group_id != dg:
            raise NotFound(f"{cls.kind} {id} not found", field=field_name)
        return agg

    async def deliver(self, uow: UnitOfWork, e: VehicleDelivered) -> None:
        env = uow.envelope
        vehicle = self._record(self.vehicles, "vehicle", uow, e.vehicle_id, Vehicle, "vehicle_id")
        customer = self._record(self.customers, "customer", uow, e.customer_id, Customer, "customer_id")
        if e.repair_order_id in self.known_visits:
            log.info("crm.delivery_already_known", repair_order_id=e.repair_order_id)
            return
        self.known_visits.add(e.repair_order_id)
        visit = dict(repair_order_id=e.repair_order_id, dealer_group_id=env.tenant.dealer_group_id,
                     store_id=env.tenant.store_id, vehicle_id=vehicle.id, customer_id=customer.id,
                     advisor_id=e.advisor_id, delivered_at=env.time, odometer_km=e.odometer_km,
                     next_service_date=e.next_service_date, next_service_km=e.next_service_km,
                     declined_work=list(e.declined_work))
        self.writes.add(repo.VISITS, visit)
        follow_up = FollowUp.schedule(dealer_group_id=env.tenant.dealer_group_id, store_id=env.tenant.store_id,
                                      repair_order_id=e.repair_order_id, customer_id=customer.id,
                                      vehicle_id=vehicle.id, advisor_id=e.advisor_id, delivered_at=env.time,
                                      contact_window=customer.contact_window, tz=store_tz(uow))
        self.writes.insert(uow, self.first.repo(FollowUps), follow_up)
        delivered_on = local_day(uow, env.time)
        if e.odometer_km is not None:
            self._odometer(uow, vehicle, delivered_on, e.odometer_km, ref=e.repair_order_id)
        self._settle_tasks(uow, e, vehicle, customer, delivered_on)

    def _odometer(self, uow: UnitOfWork, vehicle: Vehicle, read_on: date, km: int, *, ref: str) -> None:
        """As `odometer_quietly`: a reading against the history is kept out (logged); the delivery still counts."""
        history = self.readings.setdefault(vehicle.id, [])
        try:
            changed = vehicle.record_odometer(read_on=read_on, km=km, history=history)
        except DomainError as err:
            log.warning("crm.delivery_odometer_refused", ref=ref, vehicle_id=vehicle.id, error=err.message)
            return
        history.append(Reading(read_on, km))
        self.writes.add(*repo.reading(uow, vehicle, read_on=read_on, km=km, source="delivery"))
        if changed:
            self.writes.update(uow, self.first.repo(Vehicles), vehicle)

    def _settle_tasks(self, uow: UnitOfWork, e: VehicleDelivered, vehicle: Vehicle, customer: Customer,
                      delivered_on: date) -> None:
        now, dg, tasks = uow.now(), uow.actor.dealer_group_id, self.first.repo(CallTasks)
        mine = [(t, at) for t, at in self.tasks if t.dealer_group_id == dg]
        # The visit answers the service reminders for this vehicle.
        for task, _ in mine:
            if task.vehicle_id == vehicle.id and task.status == CallTaskStatus.OPEN and task.task_kind in VISIT_CLOSES:
                task.cancel_for_visit(now)
                self.writes.update(uow, tasks, task)
        # A lapsed customer who comes back gets a call 7 days later.
        lapsed = [t for t, at in mine if t.customer_id == customer.id and t.task_kind == TaskKind.LAPSED_CUSTOMER
                  and t.returned_repair_order_id is None and at <= uow.envelope.time]
        for task in lapsed:
            task.customer_came_back(e.repair_order_id, now)
            self.writes.update(uow, tasks, task)
        if not is_call_target(customer.call_facts(), delivered_on):
            return
        store = uow.envelope.tenant.store_id
        if lapsed:
            self._task(uow, lapsed_return_call(customer_id=customer.id, vehicle_id=vehicle.id, store_id=store,
                                               repair_order_id=e.repair_order_id, delivered_on=delivered_on))
        declined = declined_work_reminder(customer_id=customer.id, vehicle_id=vehicle.id, store_id=store,
                                          repair_order_id=e.repair_order_id, delivered_on=delivered_on,
                                          declined=e.declined_work)
        if declined:
            self._task(uow, declined)

    def _task(self, uow: UnitOfWork, reminder: Reminder) -> None:
        self.new_tasks.append((uow, CallTask.for_reminder(reminder, dealer_group_id=uow.actor.dealer_group_id)))

    async def add_tasks(self) -> None:
        """The new call tasks, as `add_task`: none whose dedupe key its group already has (or this batch)."""
        taken = await repo.known_task_keys(self.first, {t.dedupe_key for _, t in self.new_tasks})
        tasks = self.first.repo(CallTasks)
        for uow, task in self.new_tasks:
            if (task.dealer_group_id, task.dedupe_key) in taken:
                continue
            taken.add((task.dealer_group_id, task.dedupe_key))
            doc = task.model_dump(mode="json")
            row = {**tasks.row_values(task, doc), "created_at": uow.now()}
            self.writes.add(repo.task_once_statement(row), row)
            self.writes.written(uow, tasks, task, doc)


async def odometer_quietly(uow: UnitOfWork, vehicle_id: str, read_on: date, km: int, *, source: str,
                           ref: str) -> None:
    """A reading another service reported: one against the history is kept out (logged); the event still counts."""
    try:
        async with uow.session.begin_nested():
            await add_odometer_reading(uow, vehicle_id, read_on=read_on, km=km, source=source, check_future=False)
    except DomainError as err:
        log.warning(f"crm.{source.replace('-', '_')}_odometer_refused", ref=ref, vehicle_id=vehicle_id,
                    error=err.message)
