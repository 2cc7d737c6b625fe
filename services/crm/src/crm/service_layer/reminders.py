"""The daily reminder job: turn the rules in domain/reminders.py into call tasks for a date."""

from __future__ import annotations

from datetime import date

from shared.kit import UnitOfWork
from shared.kit.jobs import daily_job

from ..adapters import repository as repo
from ..adapters.repository import Customers, Vehicles
from ..domain.reminders import VehicleFacts, reminders_due
from .call_tasks import add_task
from .commands import ReminderRun
from .common import local_day


async def run_reminders(uow: UnitOfWork, cmd: ReminderRun) -> dict:
    """Create the call tasks due on the day (default today) for the caller's dealer group, or one store;
    tasks already created for the same reason are skipped."""
    day = cmd.run_date or local_day(uow)
    created = await reminders_for(uow, day, store_id=cmd.store_id)
    return {"date": day.isoformat(), "created": len(created), "tasks": created}


async def reminders_for(uow: UnitOfWork, today: date, *, store_id: str | None = None) -> list[dict]:
    vehicles = await uow.repo(Vehicles).list(store_id=store_id)
    customers = {c.id: c for c in await uow.repo(Customers).list()}
    readings, last_visit, agreed = (await repo.group_readings(uow), await repo.last_visits(uow),
                                    await repo.agreed_service_dates(uow))
    created: list[dict] = []
    for v in vehicles:
        owner = customers.get(v.owner_customer_id)
        if owner is None:
            continue
        visit = last_visit.get(v.id)
        facts = VehicleFacts(
            vehicle_id=v.id, customer_id=owner.id, store_id=v.store_id, sale_date=v.sale_date,
            warranty_start=v.warranty_start, warranty_years=v.warranty_years, warranty_km=v.warranty_km,
            insurance_expiry=v.insurance_expiry, readings=readings.get(v.id, []),
            last_visit_on=visit.delivered_at.date() if visit else None,
            # the date agreed on the follow-up call wins over the one printed at delivery
            next_service_date=(agreed.get(visit.repair_order_id) or visit.next_service_date) if visit else None,
            next_service_km=visit.next_service_km if visit else None,
        )
        for r in reminders_due(facts, owner.call_facts(), today):
            if task := await add_task(uow, r):
                created.append({"id": task.id, "kind": r.kind.value, "vehicle_id": r.vehicle_id,
                                "customer_id": r.customer_id, "due_on": r.due_on.isoformat(), "detail": r.detail})
    return created


async def _made(uow: UnitOfWork, today: date) -> int:
    return len(await reminders_for(uow, today))


async def _groups(session, today: date) -> list[str]:
    return await repo.dealer_groups(session)


# Background job: once per local day (by the service's clock), the reminders of every dealer group.
daily_reminders = daily_job("crm.reminders", groups=_groups, run=_made, poll_seconds=lambda s: s.reminder_poll_seconds)
