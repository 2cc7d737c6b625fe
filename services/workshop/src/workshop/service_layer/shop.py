"""The shop's roster, bays and shifts, the capacity they make, and the operation codes.

Every change that moves capacity republishes the coming two weeks (only the days that changed)."""

from __future__ import annotations

from shared.kit import UnitOfWork
from shared.kit.figures import store_zone

from ..adapters.repository import LabourOperations, Shops, operation, shop_of
from ..domain.catalogue import LabourOperation
from ..domain.shop import Bay, Shift, Shop, Team, Technician
from . import commands as c


def today(uow: UnitOfWork):
    return uow.now().astimezone(store_zone(uow.settings)).date()


async def _save(uow: UnitOfWork, shop: Shop) -> Shop:
    shop.publish_capacity(today(uow))
    await uow.repo(Shops).save(shop)
    return shop


async def set_team(uow: UnitOfWork, cmd: c.SetTeam) -> Shop:
    shop = await shop_of(uow, cmd.store_id)
    shop.set_team(Team(team_id=cmd.team_id, name=cmd.name, leader_id=cmd.leader_id))
    return await _save(uow, shop)


async def set_technician(uow: UnitOfWork, cmd: c.SetTechnician) -> Shop:
    shop = await shop_of(uow, cmd.store_id)
    shop.set_technician(Technician(technician_id=cmd.technician_id, name=cmd.name, team_id=cmd.team_id,
                                   grade=cmd.grade, skills=cmd.skills, active=cmd.active))
    return await _save(uow, shop)


async def set_bay(uow: UnitOfWork, cmd: c.SetBay) -> Shop:
    shop = await shop_of(uow, cmd.store_id)
    shop.set_bay(Bay(bay_id=cmd.bay_id, kind=cmd.kind, in_service=cmd.in_service))
    return await _save(uow, shop)


async def set_shift(uow: UnitOfWork, cmd: c.SetShift) -> Shop:
    shop = await shop_of(uow, cmd.store_id)
    shop.set_shift(Shift(shift_id=cmd.shift_id, team_id=cmd.team_id, weekdays=sorted(set(cmd.weekdays)),
                         start=cmd.start, end=cmd.end, break_minutes=cmd.break_minutes))
    return await _save(uow, shop)


async def set_closed_days(uow: UnitOfWork, cmd: c.SetClosedDays) -> Shop:
    shop = await shop_of(uow, cmd.store_id)
    shop.set_closed_days(cmd.days)
    return await _save(uow, shop)


async def refresh_capacity(uow: UnitOfWork, store_id: str) -> Shop:
    """Roll the two-week window forward (the daily refresh): publishes only days new or changed."""
    return await _save(uow, await shop_of(uow, store_id))


async def define_operation(uow: UnitOfWork, cmd: c.DefineOperation) -> LabourOperation:
    uow.actor.check_store(cmd.store_id)
    found = await operation(uow, cmd.store_id, cmd.operation_code)
    fields = dict(description=cmd.description, flat_rate_hours=cmd.flat_rate_hours, skill=cmd.skill,
                  oem_code=cmd.oem_code, default_pay_type=cmd.default_pay_type, parts_kit=cmd.parts_kit)
    if found is None:
        op = LabourOperation(id=LabourOperation.id_for(uow.actor.dealer_group_id, cmd.store_id, cmd.operation_code),
                             dealer_group_id=uow.actor.dealer_group_id, store_id=cmd.store_id,
                             operation_code=cmd.operation_code, **fields)
    else:
        op = await uow.repo(LabourOperations).get(found.id)
        if op.model_dump(include=set(fields)) == LabourOperation.model_validate(
                {**op.model_dump(), **fields}).model_dump(include=set(fields)):
            return op  # nothing changed: nothing to publish
        op = op.model_copy(update=fields)
        op.changed()
    op.define()
    await uow.repo(LabourOperations).save(op)
    return op
