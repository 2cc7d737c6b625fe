"""Complaint tickets (工联单): open, assign, resolve, close on the customer's confirmation, reopen."""

from __future__ import annotations

from collections.abc import Callable

from shared.kit import UnitOfWork

from ..adapters.repository import Complaints, Customers, Vehicles
from ..domain.complaint import Complaint
from .commands import (
    ComplaintAssign,
    ComplaintClose,
    ComplaintCommand,
    ComplaintCreate,
    ComplaintReopen,
    ComplaintResolve,
)


async def open_complaint(uow: UnitOfWork, cmd: ComplaintCreate) -> Complaint:
    uow.actor.check_store(cmd.store_id)
    customer = await uow.repo(Customers).get(cmd.customer_id, lock=False)
    vehicle_id = cmd.vehicle_id
    if vehicle_id is not None:
        vehicle_id = (await uow.repo(Vehicles).get(vehicle_id, lock=False)).id
    c = Complaint.open(dealer_group_id=uow.actor.dealer_group_id, now=uow.now(),
                       **cmd.model_dump() | {"customer_id": customer.id, "vehicle_id": vehicle_id})
    await uow.repo(Complaints).add(c)
    return c


async def _change(uow: UnitOfWork, cmd: ComplaintCommand, act: Callable[[Complaint], None]) -> Complaint:
    """Load (in the caller's stores), check the version the caller read, act, save."""
    c = await uow.repo(Complaints).get(cmd.complaint_id)
    c.check_version(cmd.version)
    act(c)
    await uow.repo(Complaints).save(c)
    return c


async def assign_complaint(uow: UnitOfWork, cmd: ComplaintAssign) -> Complaint:
    return await _change(uow, cmd, lambda c: c.assign(department=cmd.department, deadline=cmd.deadline,
                                                      by=uow.actor.user_id, now=uow.now()))


async def resolve_complaint(uow: UnitOfWork, cmd: ComplaintResolve) -> Complaint:
    return await _change(uow, cmd, lambda c: c.resolve(remedy=cmd.remedy, now=uow.now()))


async def close_complaint(uow: UnitOfWork, cmd: ComplaintClose) -> Complaint:
    return await _change(uow, cmd, lambda c: c.close(customer_confirmed=cmd.customer_confirmed, now=uow.now()))


async def reopen_complaint(uow: UnitOfWork, cmd: ComplaintReopen) -> Complaint:
    return await _change(uow, cmd, lambda c: c.reopen(reason=cmd.reason, now=uow.now()))
