"""The audit trail of reception's records, for managers: who changed what, when, with which command."""

from __future__ import annotations

from fastapi import APIRouter
from shared.kit import AuditEntry, AuditReader, history

from ..adapters.repository import Appointments, RepairOrders

router = APIRouter(tags=["audit"])


@router.get("/repair-orders/{ro_id}/history", response_model=list[AuditEntry])
async def repair_order_history(ro_id: str, uow: AuditReader):
    """The order from check-in to delivery: the advisor's commands and the workshop's and parts' facts."""
    return await history(uow, RepairOrders, ro_id)


@router.get("/appointments/{appointment_id}/history", response_model=list[AuditEntry])
async def appointment_history(appointment_id: str, uow: AuditReader):
    return await history(uow, Appointments, appointment_id)
