"""workshop's repositories (shared.kit.Repository) and read queries. Never commits: the unit of work does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.kit import PageRequest, Repository, UnitOfWork
from sqlalchemy import select

from ..domain.catalogue import LabourOperation
from ..domain.shop import Shop
from ..domain.work_order import WorkOrder, WorkOrderState
from .orm import LabourOperationRow, ShopRow, WorkOrderRow


class Shops(Repository[Shop]):
    table = ShopRow.__table__
    aggregate = Shop
    id_field = "store_id"

    def columns(self, shop: Shop) -> dict[str, Any]:
        return {}


class LabourOperations(Repository[LabourOperation]):
    table = LabourOperationRow.__table__
    aggregate = LabourOperation
    id_field = "operation_code"

    def columns(self, op: LabourOperation) -> dict[str, Any]:
        return {"operation_code": op.operation_code}


class WorkOrders(Repository[WorkOrder]):
    table = WorkOrderRow.__table__
    aggregate = WorkOrder
    id_field = "repair_order_id"

    def columns(self, wo: WorkOrder) -> dict[str, Any]:
        checks = [c.at for j in wo.jobs for c in j.checks]
        return {"state": wo.state.value, "promised_at": wo.promised_at,
                "last_checked_at": max(checks) if checks else None}


async def shop_of(uow: UnitOfWork, store_id: str, *, lock: bool = True) -> Shop:
    """The store's workshop (403 outside the caller's stores); an empty one until its first team."""
    uow.actor.check_store(store_id)
    shops = uow.repo(Shops)
    return await shops.find(Shop.id_for(uow.actor.dealer_group_id, store_id), lock=lock) or Shop.open(
        uow.actor.dealer_group_id, store_id)


async def open_orders(uow: UnitOfWork, store_id: str) -> list[WorkOrder]:
    """The store's orders on the workshop floor (not yet handed back), earliest promise first."""
    orders = uow.repo(WorkOrders)
    if uow.session is None:
        return [o for o in await orders.list(store_id=store_id) if o.state is not WorkOrderState.CLOSED]
    return await orders.list(WorkOrderRow.state != WorkOrderState.CLOSED.value,
                             order_by=(WorkOrderRow.promised_at,), store_id=store_id)


async def orders_by_id(uow: UnitOfWork, ro_ids: list[str], page: PageRequest | None = None) -> list[WorkOrder]:
    """The work orders of these repair orders that are at the caller's stores (the others are left out)."""
    orders = uow.repo(WorkOrders)
    if uow.session is None:
        return [o for o in await orders.list() if o.id in ro_ids]
    return await orders.list(WorkOrderRow.id.in_(ro_ids), order_by=(WorkOrderRow.promised_at,), page=page)


async def checked_since(uow: UnitOfWork, since: datetime, store_id: str | None = None) -> list[WorkOrder]:
    """Orders with a check (三检) recorded since `since` (for the figures), of `store_id` or of every store the
    caller may see."""
    orders = uow.repo(WorkOrders)
    if uow.session is None:
        return [o for o in await orders.list(store_id=store_id)
                if any(c.at >= since for j in o.jobs for c in j.checks)]
    return await orders.list(WorkOrderRow.last_checked_at >= since, store_id=store_id)


async def operation(uow: UnitOfWork, store_id: str, code: str) -> LabourOperation | None:
    return await uow.repo(LabourOperations).find(LabourOperation.id_for(uow.actor.dealer_group_id, store_id, code),
                                                 lock=False)


async def all_shops(session) -> list[tuple[str, str]]:
    """Every store's workshop, as (dealer group, store): the capacity refresh walks them all."""
    rows = await session.execute(select(ShopRow.dealer_group_id, ShopRow.store_id))
    return [(dg, s) for dg, s in rows.all()]
