"""Catalogue and stock card handlers: bins, suppliers, parts (with their opening stock), prices."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from shared.errors import Conflict, NotFound
from shared.kit import UnitOfWork

from ..adapters.repository import Bins, Parts, Suppliers
from ..domain.stock import Bin, Location, Part, Supplier
from . import commands as c


async def parts_for(uow: UnitOfWork, store_id: str, part_nos: Iterable[str]) -> dict[str, Part]:
    """The store's parts, locked in part-number order (two slips never wait on each other in a cycle);
    404 naming the first unknown part."""
    out: dict[str, Part] = {}
    for no in sorted(set(part_nos)):
        part = await uow.repo(Parts).find(Part.id_for(store_id, no))
        if part is None or part.store_id != store_id:
            raise NotFound(f"unknown part {no} in store {store_id}", field="part_no", part_no=no)
        out[no] = part
    return out


async def bin_at(uow: UnitOfWork, store_id: str, code: str) -> Bin:
    found = await uow.repo(Bins).find(Bin.id_for(store_id, code), lock=False)
    if found is None:
        raise NotFound(f"bin {code} does not exist in store {store_id}", field="bin_code", bin_code=code)
    return found


async def create_bin(uow: UnitOfWork, cmd: c.CreateBin) -> Bin:
    uow.actor.check_store(cmd.store_id)
    loc = Location(store_room=cmd.store_room, rack=cmd.rack, shelf=cmd.shelf, position=cmd.position)
    if await uow.repo(Bins).find(Bin.id_for(cmd.store_id, loc.code), lock=False):
        raise Conflict(f"bin {loc.code} already exists", field="position")
    b = Bin(id=Bin.id_for(cmd.store_id, loc.code), dealer_group_id=uow.actor.dealer_group_id,
            store_id=cmd.store_id, location=loc)
    await uow.repo(Bins).add(b)
    return b


async def create_supplier(uow: UnitOfWork, cmd: c.CreateSupplier) -> Supplier:
    s = Supplier(id=str(uuid.uuid4()), dealer_group_id=uow.actor.dealer_group_id,
                 store_id=next(iter(sorted(uow.actor.store_ids)), "group"), name=cmd.name, locality=cmd.locality,
                 payment=cmd.payment, lead_time_days=cmd.lead_time_days)
    await uow.repo(Suppliers).add(s)
    return s


async def create_part(uow: UnitOfWork, cmd: c.CreatePart) -> Part:
    uow.actor.check_store(cmd.store_id)
    where = await bin_at(uow, cmd.store_id, cmd.bin_code)
    if cmd.supplier_id:
        await uow.repo(Suppliers).get(cmd.supplier_id, lock=False)
    if await uow.repo(Parts).find(Part.id_for(cmd.store_id, cmd.part_no), lock=False):
        raise Conflict(f"part {cmd.part_no} already exists in store {cmd.store_id}", field="part_no")
    part = Part(id=Part.id_for(cmd.store_id, cmd.part_no), dealer_group_id=uow.actor.dealer_group_id,
                store_id=cmd.store_id, part_no=cmd.part_no, name=cmd.name, brand=cmd.brand, oem_no=cmd.oem_no,
                unit=cmd.unit, retail_price=cmd.retail_price, safety_stock=cmd.safety_stock,
                supplier_id=cmd.supplier_id, bin_id=where.id, bin_code=where.location.code,
                exchange_required=cmd.exchange_required)
    part.announce()
    if cmd.opening_quantity > 0:
        part.open_stock(cmd.opening_quantity, cmd.opening_cost, at=uow.now(), by=uow.actor.user_id)
    await uow.repo(Parts).add(part)
    return part


async def update_part(uow: UnitOfWork, cmd: c.UpdatePart) -> Part:
    part = await uow.repo(Parts).get(cmd.part_id)
    part.check_version(cmd.version)
    if cmd.bin_code:
        part.move_to_bin(await bin_at(uow, part.store_id, cmd.bin_code))
    part.reprice(retail_price=cmd.retail_price, name=cmd.name, safety_stock=cmd.safety_stock)
    await uow.repo(Parts).save(part)
    return part
