"""What reception's routes answer: the aggregates as the front desk reads them, and the response models."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal

from pydantic import BaseModel, Field
from shared.contracts.crm import VehicleFacts
from shared.kit import UnitOfWork

from ..adapters import repository as repo
from ..adapters.orm import VehicleReplica
from ..adapters.repository import StoreTerms
from ..domain.appointment import Appointment, AppointmentState, PartsStatus, Party
from ..domain.pricing import EstimateTotals, SettlementSheet, estimate
from ..domain.repair_order import RepairOrder, RoState, recommended_work
from ..service_layer.repair_orders import settlement_sheet


class OwnerView(BaseModel):
    customer_id: str
    name: str | None = None
    phones: list[str] = []


class VehicleView(VehicleFacts):
    """The vehicle as reception sees it, from its replica of crm's records."""

    vehicle_id: str
    owner: OwnerView


class AppointmentPublic(Appointment):
    """A booking as the booking board shows it."""

    # Aliased: the aggregate has a method of this name.
    still_to_confirm: list[Party] = Field(default_factory=list, alias="parties_to_confirm",
                                          description="Still to confirm the booking with (booked ones only)")
    parts_ready: bool = Field(description="No part needed, or all of them reserved")


class RecommendedWork(BaseModel):
    """Work to offer again: declined on an earlier visit, or rated red/yellow at today's inspection."""

    source: str = Field(description="declined or inspection")
    description: str
    safety_related: bool = False
    repair_order_id: str | None = None
    number: str | None = None
    estimated_amount: Decimal | None = None
    rating: str | None = None
    note: str | None = None


class RepairOrderPublic(RepairOrder):
    """The repair order with its estimate, what the delivery check still misses and the recommended work."""

    estimate: EstimateTotals
    # Aliased: the aggregate has a method of this name.
    blockers: list[str] = Field(default_factory=list, alias="delivery_blockers",
                                description="What the delivery check still misses (open orders)")
    recommended_work: list[RecommendedWork] = Field(default_factory=list)


class VisitPublic(RepairOrder):
    """A repair order in a vehicle's list of visits: the order and its estimate."""

    estimate: EstimateTotals


def visit(uow: UnitOfWork, ro: RepairOrder) -> dict:
    return {**ro.model_dump(mode="json"), "estimate": estimate(ro.jobs, ro.materials).model_dump(mode="json")}


class SettlementPublic(SettlementSheet):
    """The settlement sheet (结算单) by pay type, with the order's invoice and gate pass."""

    repair_order_id: str
    number: str | None
    state: RoState
    invoice_number: str | None
    gate_pass: str | None
    delivery_blockers: list[str] = Field(default_factory=list)


async def vehicle(uow: UnitOfWork, v: VehicleReplica) -> dict:
    owner = await repo.customer(uow, v.owner_customer_id)
    return VehicleView(
        **v.model_dump(),
        owner=OwnerView(customer_id=v.owner_customer_id, name=owner.name if owner else None,
                        phones=owner.phones if owner else []),
    ).model_dump(mode="json")


def appointment(uow: UnitOfWork, a: Appointment) -> dict:
    out = a.model_dump(mode="json")
    out["parties_to_confirm"] = ([p.value for p in a.parties_to_confirm()] if a.state is AppointmentState.BOOKED
                                 else [])
    out["parts_ready"] = a.parts_status in (PartsStatus.NOT_NEEDED, PartsStatus.RESERVED)
    return out


def appointments(uow: UnitOfWork, rows: list[Appointment]) -> list[dict]:
    return [appointment(uow, a) for a in rows]


async def repair_order(uow: UnitOfWork, ro: RepairOrder) -> dict:
    """The order with its estimate, what the delivery check still misses and the recommended work."""
    out = ro.model_dump(mode="json")
    out["estimate"] = estimate(ro.jobs, ro.materials).model_dump(mode="json")
    out["delivery_blockers"] = ro.delivery_blockers() if ro.state is RoState.OPEN else []
    history = await repo.vehicle_history(uow, ro.vehicle_id, exclude=ro.id)
    out["recommended_work"] = recommended_work(history, ro.check_in)
    return out


async def settlement(uow: UnitOfWork, ro: RepairOrder) -> dict:
    """The settlement sheet (结算单) by pay type, as it prints now."""
    sheet = await settlement_sheet(uow, ro)
    return {"repair_order_id": ro.id, "number": ro.number, "state": ro.state.value,
            "invoice_number": ro.invoice_number, "gate_pass": ro.gate_pass,
            "delivery_blockers": ro.delivery_blockers() if ro.state is RoState.OPEN else [],
            **sheet.model_dump(mode="json")}


def store_settings(uow: UnitOfWork, t: StoreTerms) -> dict:
    """The store's terms as they stand (its own, or the defaults from the settings)."""
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(t).items()}
