"""Reservations: a booking's or repair order's parts go onto the reserved shelf, or a shortage is reported
with the expected arrival from open purchase orders (and filled when the parts arrive); released on cancel,
no-show or close."""

from __future__ import annotations

from datetime import date

from shared.contracts.common import PartLine
from shared.kit import UnitOfWork

from ..adapters.repository import Demands, Parts, PurchaseOrders
from ..domain.demand import Demand, DemandLine, DemandState, merge
from ..domain.purchasing import OrderState
from ..domain.stock import Part


async def expected_arrival(uow: UnitOfWork, store_id: str, part_no: str) -> date | None:
    """The earliest expected arrival among the store's open purchase orders for the part."""
    orders = await uow.repo(PurchaseOrders).list(store_id=store_id)
    dates = [o.expected_arrival for o in orders if o.state is OrderState.PLACED and o.outstanding(part_no) > 0]
    return min(dates, default=None)


async def reserve(uow: UnitOfWork, *, reference_id: str, reference_type: str, store_id: str,
                  lines: list[PartLine], ask: str) -> Demand | None:
    """Reserve once per ask of a reference (the booking, the opened order, an added job, a technician's
    request): an ask the demand has seen already (a redelivery) reserves nothing."""
    demands = uow.repo(Demands)
    demand = await demands.find(reference_id)
    if not lines or (demand is not None and not demand.wants(ask)):
        return None
    settled = []
    for no, qty in sorted(merge(lines).items()):
        part = await uow.repo(Parts).find(Part.id_for(store_id, no))
        short = qty if part is None else part.reserve(reference_id, qty)
        if part is not None:
            await uow.repo(Parts).save(part)
        arrival = await expected_arrival(uow, store_id, no) if short else None
        settled.append(DemandLine(part_no=no, quantity=qty, short=short, expected_arrival=arrival))
    if demand is None:
        demand = Demand(id=reference_id, dealer_group_id=uow.actor.dealer_group_id, store_id=store_id,
                        reference_type=reference_type)
        _settle(uow, demand, settled, ask)
        await demands.add(demand)
    else:
        _settle(uow, demand, settled, ask)
        await demands.save(demand)
    return demand


def _settle(uow: UnitOfWork, demand: Demand, lines: list[DemandLine], ask: str) -> None:
    demand.settle(lines, ask)
    if demand.state is DemandState.SHORT and demand.short_since is None:
        demand.short_since = uow.now()


async def fill_shortages(uow: UnitOfWork, store_id: str, arrived: dict[str, Part]) -> None:
    """Parts arrived (shelved from a receipt): the store's demands short of them take what is available, those
    short longest first, onto their reserved shelf; a demand no longer short is reserved (PartsReserved)."""
    short = [d for d in await uow.repo(Demands).list(store_id=store_id) if d.state is DemandState.SHORT]
    for d in sorted(short, key=lambda d: (d.short_since or uow.now(), d.id)):
        touched = False
        for part_no, part in sorted(arrived.items()):
            wanted = d.short_of(part_no)
            held = wanted - part.reserve(d.id, wanted) if wanted > 0 else 0
            if held > 0:
                d.filled(part_no, held)
                touched = True
        if touched:
            await uow.repo(Demands).save(d)


async def release(uow: UnitOfWork, reference_id: str) -> Demand | None:
    demand = await uow.repo(Demands).find(reference_id)
    if demand is None or not demand.release():
        return demand
    for ln in sorted(demand.lines, key=lambda ln: ln.part_no):
        part = await uow.repo(Parts).find(Part.id_for(demand.store_id, ln.part_no))
        if part is not None and part.release(reference_id):
            await uow.repo(Parts).save(part)
    await uow.repo(Demands).save(demand)
    return demand
