"""The audit trail of crm's records, for managers: who changed what, when, with which command."""

from __future__ import annotations

from fastapi import APIRouter
from shared.kit import AuditEntry, AuditReader, history

from ..adapters.repository import CallTasks, Complaints, Customers, FollowUps, Vehicles

router = APIRouter(tags=["audit"])


@router.get("/customers/{customer_id}/history", response_model=list[AuditEntry])
async def customer_history(customer_id: str, uow: AuditReader):
    """Every change of the customer's record, any store's, oldest first."""
    return await history(uow, Customers, customer_id)


@router.get("/vehicles/{vehicle_id}/history", response_model=list[AuditEntry])
async def vehicle_history(vehicle_id: str, uow: AuditReader):
    return await history(uow, Vehicles, vehicle_id)


@router.get("/follow-ups/{follow_up_id}/history", response_model=list[AuditEntry])
async def follow_up_history(follow_up_id: str, uow: AuditReader):
    return await history(uow, FollowUps, follow_up_id)


@router.get("/complaints/{complaint_id}/history", response_model=list[AuditEntry])
async def complaint_history(complaint_id: str, uow: AuditReader):
    return await history(uow, Complaints, complaint_id)


@router.get("/call-tasks/{task_id}/history", response_model=list[AuditEntry])
async def call_task_history(task_id: str, uow: AuditReader):
    return await history(uow, CallTasks, task_id)
