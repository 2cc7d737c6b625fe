"""Loading and saving crm's aggregates, and the queries beside them. Never commits: the unit of work does.

Each aggregate is stored whole in `doc`; every other column of its table is a projection of it
(lists, reports and the reminder job query those), written by `columns()` in the same statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from operator import eq, le
from typing import Any, ClassVar, TypeVar

from shared.db import among
from shared.errors import Conflict, NotFound
from shared.kit import Aggregate, PageRequest, Repository, UnitOfWork, Upsert
from sqlalchemy import String, and_, any_, bindparam, delete, distinct, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from ..domain.call_task import CallTask, CallTaskStatus
from ..domain.complaint import Complaint, ComplaintStatus
from ..domain.follow_up import FollowUp
from ..domain.model import Customer, Vehicle
from ..domain.reminders import Reading, TaskKind
from .orm import (
    AliasRow,
    CallTaskRow,
    ComplaintRow,
    CustomerPhoneRow,
    CustomerRow,
    FollowUpRow,
    OdometerReadingRow,
    OwnershipRow,
    ServiceVisitRow,
    VehicleRow,
)

A = TypeVar("A", bound=Aggregate)

# Columns that are not projections: the base writes the first five, `add(..., created_by=)` the rest once.
_NOT_PROJECTED = frozenset({"id", "dealer_group_id", "store_id", "version", "doc", "created_at", "created_by"})


class Projecting(Repository[A]):
    """Projects every other column of the table from the aggregate attribute of the same name
    (or the one `renames` gives)."""

    renames: ClassVar[dict[str, str]] = {}
    _projected: ClassVar[dict[type, list[tuple[str, str, bool]]]] = {}

    @classmethod
    def _projection(cls) -> list[tuple[str, str, bool]]:
        """(column, attribute, is JSONB) of the projected columns, worked out once per repository."""
        if cls not in Projecting._projected:
            Projecting._projected[cls] = [(c.name, cls.renames.get(c.name, c.name), isinstance(c.type, JSONB))
                                          for c in cls.table.columns if c.name not in _NOT_PROJECTED]
        return Projecting._projected[cls]

    def columns(self, agg: A, doc: dict[str, Any] | None = None) -> dict[str, Any]:
        """`doc`: the aggregate's JSON dump when the caller has it (a JSONB column is taken from it, not dumped
        again)."""
        out: dict[str, Any] = {}
        for name, attr, as_json in self._projection():
            if as_json:
                out[name] = doc[attr] if doc is not None else agg.model_dump(mode="json", include={attr})[attr]
            else:
                value = getattr(agg, attr)
                out[name] = value.value if isinstance(value, Enum) else value
        return out

    def row_values(self, agg: A, doc: dict[str, Any]) -> dict[str, Any]:
        return {"id": agg.id, "dealer_group_id": agg.dealer_group_id, "store_id": agg.store_id,
                "version": agg.version, "doc": doc, **self.columns(agg, doc)}


class _Aliased(Projecting[A]):
    """Group records another service may name by an alias (a walk-in's id for a record crm had)."""

    store_scoped = False
    alias_kind: ClassVar[str]

    async def find(self, id: str, *, lock: bool = True) -> A | None:
        return await super().find(await resolve_alias(self.uow, self.alias_kind, id), lock=lock)


class Customers(_Aliased[Customer]):
    table = CustomerRow.__table__
    aggregate = Customer
    id_field = "customer_id"
    alias_kind = "customer"
    renames = {"kind": "customer_kind"}


class Vehicles(_Aliased[Vehicle]):
    table = VehicleRow.__table__
    aggregate = Vehicle
    id_field = "vehicle_id"
    alias_kind = "vehicle"


class FollowUps(Projecting[FollowUp]):
    table = FollowUpRow.__table__
    aggregate = FollowUp
    id_field = "follow_up_id"


class Complaints(Projecting[Complaint]):
    table = ComplaintRow.__table__
    aggregate = Complaint
    id_field = "complaint_id"


_task_once = Upsert(CallTaskRow, keys=("dealer_group_id", "dedupe_key"), update=False)


class CallTasks(Projecting[CallTask]):
    table = CallTaskRow.__table__
    aggregate = CallTask
    id_field = "task_id"
    renames = {"kind": "task_kind"}

    async def add_once(self, task: CallTask, *, created_at: datetime) -> bool:
        """A new task unless its group already has one with the same dedupe key."""
        doc = task.model_dump(mode="json")
        if not await _task_once(self.uow.session, {**self.row_values(task, doc), "created_at": created_at}):
            return False
        await self._written(task, doc)
        return True


async def load(uow: UnitOfWork, repo: type[Repository[A]], id: str, *, field: str, lock: bool = False) -> A:
    """The record `id` names in a field other than its own id (an owner, a new owner): 404 naming that field."""
    agg = await uow.repo(repo).find(id, lock=lock)
    if agg is None:
        raise NotFound(f"{repo.aggregate.kind} {id} not found", field=field)
    return agg


# -- aliases ---------------------------------------------------------------------------------
async def resolve_alias(uow: UnitOfWork, kind: str, record_id: str) -> str:
    alias = await uow.session.get(AliasRow, (uow.actor.dealer_group_id, kind, record_id))
    return alias.kept_id if alias else record_id


def add_alias(uow: UnitOfWork, kind: str, alias_id: str, kept_id: str) -> None:
    uow.session.add(AliasRow(dealer_group_id=uow.actor.dealer_group_id, kind=kind, alias_id=alias_id,
                             kept_id=kept_id))


# -- phones ----------------------------------------------------------------------------------
async def phone_owner(uow: UnitOfWork, phones: list[str], *, other_than: str | None = None) -> str | None:
    """The customer holding one of `phones` in the caller's group (other than `other_than`)."""
    t = CustomerPhoneRow
    q = select(t.customer_id).where(t.dealer_group_id == uow.actor.dealer_group_id, t.phone.in_(phones))
    if other_than:
        q = q.where(t.customer_id != other_than)
    return (await uow.session.execute(q.limit(1))).scalar_one_or_none()


async def claim_phones(uow: UnitOfWork, customer: Customer) -> None:
    """Point the customer's phone rows at its phones; a number another customer holds is a duplicate (409)."""
    t, dg = CustomerPhoneRow, customer.dealer_group_id
    taken = (await uow.session.execute(select(t.phone, t.customer_id).where(
        t.dealer_group_id == dg, t.phone.in_(customer.phones), t.customer_id != customer.id).limit(1))).first()
    if taken:
        raise Conflict(f"phone {taken.phone} already belongs to customer {taken.customer_id}", field="phones",
                       existing_customer_id=taken.customer_id)
    held = set((await uow.session.execute(select(t.phone).where(
        t.dealer_group_id == dg, t.customer_id == customer.id))).scalars())
    if held - set(customer.phones):
        await uow.session.execute(delete(t).where(t.dealer_group_id == dg, t.customer_id == customer.id,
                                                  t.phone.in_(held - set(customer.phones))))
    for p in customer.phones:
        if p not in held:
            uow.session.add(CustomerPhoneRow(dealer_group_id=dg, phone=p, customer_id=customer.id))


# -- vehicles: VIN, odometer, owners ---------------------------------------------------------
async def vehicle_by_vin(uow: UnitOfWork, vin: str) -> Vehicle | None:
    found = await uow.repo(Vehicles).list(VehicleRow.vin == vin.strip().upper(), limit=1)
    return found[0] if found else None


async def readings(uow: UnitOfWork, vehicle_id: str) -> list[Reading]:
    rows = await uow.session.execute(select(OdometerReadingRow.read_on, OdometerReadingRow.km)
                                     .where(OdometerReadingRow.vehicle_id == vehicle_id))
    return [Reading(r.read_on, r.km) for r in rows]


async def readings_of(uow: UnitOfWork, vehicle_ids: set[str]) -> dict[str, list[Reading]]:
    """The odometer histories of several vehicles in one query."""
    t, out = OdometerReadingRow, defaultdict(list)
    for r in await uow.session.execute(select(t.vehicle_id, t.read_on, t.km).where(
            among(t.vehicle_id, "ids")), {"ids": sorted(vehicle_ids)}):
        out[r.vehicle_id].append(Reading(r.read_on, r.km))
    return dict(out)


def add_reading(uow: UnitOfWork, vehicle: Vehicle, *, read_on: date, km: int, source: str) -> None:
    uow.session.add(OdometerReadingRow(dealer_group_id=vehicle.dealer_group_id, store_id=vehicle.store_id,
                                       vehicle_id=vehicle.id, read_on=read_on, km=km, source=source,
                                       recorded_at=uow.now()))


async def odometer_history(uow: UnitOfWork, vehicle_id: str) -> list[OdometerReadingRow]:
    t = OdometerReadingRow
    return list((await uow.session.execute(select(t).where(t.vehicle_id == vehicle_id)
                                           .order_by(t.read_on, t.id))).scalars())


async def hand_over(uow: UnitOfWork, vehicle_id: str, customer_id: str) -> None:
    """Close the vehicle's current ownership (if any) and open one for `customer_id`."""
    now = uow.now()
    await uow.session.execute(update(OwnershipRow).where(
        OwnershipRow.vehicle_id == vehicle_id, OwnershipRow.owned_to.is_(None)).values(owned_to=now))
    uow.session.add(OwnershipRow(vehicle_id=vehicle_id, customer_id=customer_id, owned_from=now))


async def ownerships(uow: UnitOfWork, vehicle_id: str) -> list[OwnershipRow]:
    t = OwnershipRow
    return list((await uow.session.execute(select(t).where(t.vehicle_id == vehicle_id)
                                           .order_by(t.owned_from, t.id))).scalars())


# -- visits ----------------------------------------------------------------------------------
_visit_once = Upsert(ServiceVisitRow, keys=("repair_order_id",), update=False)


async def record_visit(uow: UnitOfWork, **visit: Any) -> bool:
    """A delivered repair order, once: False when the delivery was already known."""
    return await _visit_once(uow.session, visit)


# -- a batch of deliveries: what it needs, in a few queries (service_layer/deliveries.py) -----------------
_IDS = ARRAY(String)
_ALIASES = select(AliasRow).where(among(AliasRow.alias_id, "ids"))
_KNOWN_VISITS = select(ServiceVisitRow.repair_order_id).where(among(ServiceVisitRow.repair_order_id, "ros"))
_KNOWN_TASK_KEYS = select(CallTaskRow.dealer_group_id, CallTaskRow.dedupe_key).where(
    among(CallTaskRow.dedupe_key, "keys"))
_ADD_READING = insert(OdometerReadingRow.__table__)


async def aliases(uow: UnitOfWork, ids: set[str]) -> dict[tuple[str, str, str], str]:
    """(dealer group, kind, alias id) -> the kept id, for any of `ids` that is an alias."""
    rows = (await uow.session.execute(_ALIASES, {"ids": sorted(ids)})).scalars() if ids else ()
    return {(a.dealer_group_id, a.kind, a.alias_id): a.kept_id for a in rows}


async def known_visits(uow: UnitOfWork, repair_order_ids: set[str]) -> set[str]:
    """Those of the repair orders whose delivery is already recorded."""
    return set((await uow.session.execute(_KNOWN_VISITS, {"ros": sorted(repair_order_ids)})).scalars())


# A batch's visits not known yet (`known_visits`), as plain rows (one COPY) rather than `record_visit`'s
# insert-once: a visit of the same repair order written meanwhile fails the batch as its follow-up (unique per
# repair order) would anyway, and one delivery at a time then finds the visit known.
VISITS = ServiceVisitRow.__table__


async def known_task_keys(uow: UnitOfWork, keys: set[str]) -> set[tuple[str, str]]:
    """(dealer group, dedupe key) of the tasks that exist among `keys`."""
    rows = await uow.session.execute(_KNOWN_TASK_KEYS, {"keys": sorted(keys)}) if keys else ()
    return {(r.dealer_group_id, r.dedupe_key) for r in rows}


def task_once_statement(values: dict[str, Any]):
    """The insert-once of a call task (`CallTasks.add_once`), for a batch's executemany."""
    return _task_once.statement(values.keys())


def reading(uow: UnitOfWork, vehicle: Vehicle, *, read_on: date, km: int, source: str) -> tuple[Any, dict]:
    """The statement and row of an odometer reading (`add_reading`), for a batch's executemany."""
    return _ADD_READING, dict(dealer_group_id=vehicle.dealer_group_id, store_id=vehicle.store_id,
                              vehicle_id=vehicle.id, read_on=read_on, km=km, source=source, recorded_at=uow.now())


_t = CallTaskRow
# The tasks a batch of deliveries may settle: the open service reminders of its vehicles, the lapsed-customer
# tasks of its customers not yet answered by a return; locked (in id order) as saving them would.
_SETTLED_BY_VISITS = select(_t.doc, _t.created_at).where(or_(
    and_(among(_t.vehicle_id, "vehicles"), _t.status == CallTaskStatus.OPEN.value,
         _t.kind == any_(bindparam("closes", type_=_IDS))),
    and_(among(_t.customer_id, "customers"), _t.kind == TaskKind.LAPSED_CUSTOMER.value,
         _t.returned_repair_order_id.is_(None)))).order_by(_t.id).with_for_update()


async def tasks_settled_by_visits(uow: UnitOfWork, vehicle_ids: set[str], customer_ids: set[str],
                                  closes: list[str]) -> list[tuple[CallTask, datetime]]:
    """(task, created at) of the tasks a batch of deliveries may settle (see above), through CallTasks."""
    tasks = uow.repo(CallTasks)
    rows = await uow.session.execute(_SETTLED_BY_VISITS, {"vehicles": sorted(vehicle_ids),
                                                          "customers": sorted(customer_ids), "closes": closes})
    return [(tasks.from_doc(r.doc), r.created_at) for r in rows]


async def visit_next_service_date(uow: UnitOfWork, repair_order_id: str) -> date | None:
    return (await uow.session.execute(select(ServiceVisitRow.next_service_date).where(
        ServiceVisitRow.repair_order_id == repair_order_id))).scalar_one_or_none()


async def visit_count(uow: UnitOfWork, lo: datetime, hi: datetime, store_id: str | None) -> int:
    t = ServiceVisitRow
    q = select(func.count()).select_from(t).where(t.dealer_group_id == uow.actor.dealer_group_id,
                                                  t.delivered_at >= lo, t.delivered_at < hi)
    if store_id:
        uow.actor.check_store(store_id)
        q = q.where(t.store_id == store_id)
    elif not uow.actor.spans_group:
        q = q.where(t.store_id.in_(sorted(uow.actor.store_ids)))
    return (await uow.session.execute(q)).scalar_one()


# -- what the reminder job reads -------------------------------------------------------------
async def group_readings(uow: UnitOfWork) -> dict[str, list[Reading]]:
    t = OdometerReadingRow
    out: dict[str, list[Reading]] = defaultdict(list)
    for r in await uow.session.execute(select(t.vehicle_id, t.read_on, t.km).where(
            t.dealer_group_id == uow.actor.dealer_group_id)):
        out[r.vehicle_id].append(Reading(r.read_on, r.km))
    return out


async def last_visits(uow: UnitOfWork) -> dict[str, ServiceVisitRow]:
    t = ServiceVisitRow
    rows = (await uow.session.execute(select(t).where(t.dealer_group_id == uow.actor.dealer_group_id)
                                      .order_by(t.delivered_at))).scalars()
    return {v.vehicle_id: v for v in rows}


async def visits_before(uow: UnitOfWork, hi: datetime) -> list[ServiceVisitRow]:
    """The group's deliveries before `hi`, oldest first (any store: a vehicle comes back where it likes)."""
    t = ServiceVisitRow
    return list((await uow.session.execute(select(t).where(
        t.dealer_group_id == uow.actor.dealer_group_id, t.delivered_at < hi).order_by(t.delivered_at))).scalars())


async def agreed_service_dates(uow: UnitOfWork) -> dict[str, date]:
    """Next service dates agreed on follow-up calls, by repair order."""
    t = FollowUpRow
    rows = await uow.session.execute(select(t.repair_order_id, t.next_service_date).where(
        t.dealer_group_id == uow.actor.dealer_group_id, t.next_service_date.is_not(None)))
    return {r.repair_order_id: r.next_service_date for r in rows}


async def dealer_groups(session) -> list[str]:
    return list((await session.execute(select(distinct(VehicleRow.dealer_group_id)))).scalars())


# -- lists -----------------------------------------------------------------------------------
def _given(*filters: tuple[Any, Callable[[Any, Any], Any], Any]) -> list:
    """`(column, op, value)` as conditions, for the values given (a filter left out is no filter)."""
    return [op(column, value) for column, op, value in filters if value]


async def follow_ups(uow: UnitOfWork, page: PageRequest, *, store_id: str | None = None, status: str | None = None,
                     due_before: datetime | None = None, customer_id: str | None = None,
                     vehicle_id: str | None = None) -> list[FollowUp]:
    t = FollowUpRow
    where = _given((t.status, eq, status), (t.due_from, le, due_before), (t.customer_id, eq, customer_id),
                   (t.vehicle_id, eq, vehicle_id))
    return await uow.repo(FollowUps).list(*where, order_by=[t.due_from], page=page, store_id=store_id)


async def complaints(uow: UnitOfWork, page: PageRequest, *, store_id: str | None = None, status: str | None = None,
                     overdue: bool | None = None, vehicle_id: str | None = None,
                     closed: bool | None = None) -> list[Complaint]:
    """`closed=False`: the tickets still to close (open, assigned, resolved awaiting the customer, reopened)."""
    t, now = ComplaintRow, uow.now()
    where = _given((t.status, eq, status), (t.vehicle_id, eq, vehicle_id))
    if closed is not None:
        done = ComplaintStatus.CLOSED.value
        where.append((t.status == done) if closed else (t.status != done))
    return await uow.repo(Complaints).list(*where, order_by=[t.opened_at], page=page, store_id=store_id,
                                           keep=None if overdue is None else lambda c: c.is_overdue(now) == overdue)


async def call_tasks(uow: UnitOfWork, page: PageRequest, *, store_id: str | None = None, status: str | None = None,
                     due_on_or_before: date | None = None, kind: str | None = None,
                     customer_id: str | None = None) -> list[CallTask]:
    t = CallTaskRow
    where = _given((t.status, eq, status), (t.due_on, le, due_on_or_before), (t.kind, eq, kind),
                   (t.customer_id, eq, customer_id))
    return await uow.repo(CallTasks).list(*where, order_by=[t.due_on, t.created_at], page=page, store_id=store_id)
