"""claims's consumer groups: `group = EventHandlers("purpose")` (group id "claims.purpose"),
handlers `(uow, event)` registered with `@group.on(EventClass)`.

- replicas: crm's vehicles (sale date, warranty terms), which eligibility reads;
- repair-orders: reception's repair orders; warranty jobs open a claim (once, however often delivered);
- oem-decisions: the manufacturer's decisions on oem.warranty-decisions. A decision for a claim number we
  never sent raises, so the idempotent consumer retries and then dead-letters it with the reason.
"""

from __future__ import annotations

from shared.contracts import claims as oem
from shared.contracts import crm, reception
from shared.kit import EventHandlers, UnitOfWork, Upsert

from ..adapters.orm import RepairOrderReplica, VehicleReplica
from ..service_layer import warranty

replicas = EventHandlers("replicas")
repair_orders = EventHandlers("repair-orders")
oem_decisions = EventHandlers("oem-decisions")

EVENTS: list[EventHandlers] = [replicas, repair_orders, oem_decisions]

_vehicles = Upsert(VehicleReplica, keys=("vehicle_id",))
_repair_orders = Upsert(RepairOrderReplica, keys=("repair_order_id",))


def _tenant(uow: UnitOfWork) -> dict:
    return dict(dealer_group_id=uow.envelope.tenant.dealer_group_id, store_id=uow.envelope.tenant.store_id)


@replicas.on(crm.VehicleRegistered, crm.VehicleUpdated)
async def on_vehicle(uow: UnitOfWork, e: crm.VehicleRegistered | crm.VehicleUpdated) -> None:
    known = {k: v for k, v in e.model_dump().items() if k in VehicleReplica.model_fields}
    await _vehicles(uow.session, dict(**_tenant(uow), source_event_id=uow.envelope.id, updated_at=uow.envelope.time,
                                      **known))


@repair_orders.on(reception.VehicleCheckedIn)
async def on_checked_in(uow: UnitOfWork, e: reception.VehicleCheckedIn) -> None:
    await _repair_orders(uow.session, dict(**_tenant(uow), repair_order_id=e.repair_order_id, vehicle_id=e.vehicle_id,
                                           odometer_km=e.odometer_km, updated_at=uow.envelope.time))


@repair_orders.on(reception.RepairOrderOpened)
async def on_repair_order_opened(uow: UnitOfWork, e: reception.RepairOrderOpened) -> None:
    await _repair_orders(uow.session, dict(**_tenant(uow), repair_order_id=e.repair_order_id, number=e.number,
                                           vehicle_id=e.vehicle_id, updated_at=uow.envelope.time))
    await warranty.open_claim(uow, repair_order_id=e.repair_order_id, jobs=e.jobs)


@repair_orders.on(reception.AdditionalWorkApproved)
async def on_additional_work(uow: UnitOfWork, e: reception.AdditionalWorkApproved) -> None:
    await warranty.open_claim(uow, repair_order_id=e.repair_order_id, jobs=[e.job], cause=e.finding_id)


@oem_decisions.on(oem.OemWarrantyClaimDecided, oem.OemWarrantyClaimDecidedV2)
async def on_decision(uow: UnitOfWork, e: oem.OemWarrantyClaimDecided | oem.OemWarrantyClaimDecidedV2) -> None:
    await warranty.apply_decision(uow, e)
