"""The daily reminder job: turn the rules in domain/reminders.py into call tasks for a date."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import date, tzinfo
from zoneinfo import ZoneInfo

from shared.observability import get_logger
from sqlalchemy import distinct
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..adapters.orm import CustomerRow, FollowUpRow, OdometerReadingRow, ServiceVisitRow, VehicleRow
from ..domain.reminders import CustomerFacts, Reading, VehicleFacts, reminders_due
from .care import add_task

log = get_logger(__name__)


async def run_reminders(session: AsyncSession, dealer_group_id: str, today: date, *, now,
                        store_id: str | None = None) -> list[dict]:
    """Create the call tasks due on `today` for one dealer group; already-created ones are skipped."""
    vq = select(VehicleRow).where(VehicleRow.dealer_group_id == dealer_group_id)
    if store_id:
        vq = vq.where(VehicleRow.store_id == store_id)
    vehicles = (await session.exec(vq)).all()
    customers = {c.id: c for c in (await session.exec(
        select(CustomerRow).where(CustomerRow.dealer_group_id == dealer_group_id))).all()}
    readings: dict[str, list[Reading]] = defaultdict(list)
    for r in (await session.exec(select(OdometerReadingRow).where(
            OdometerReadingRow.dealer_group_id == dealer_group_id))).all():
        readings[r.vehicle_id].append(Reading(r.read_on, r.km))
    last_visit: dict[str, ServiceVisitRow] = {}
    for v in (await session.exec(select(ServiceVisitRow).where(ServiceVisitRow.dealer_group_id == dealer_group_id)
                                 .order_by(ServiceVisitRow.delivered_at))).all():
        last_visit[v.vehicle_id] = v
    agreed = {f.repair_order_id: f.next_service_date for f in (await session.exec(select(FollowUpRow).where(
        FollowUpRow.dealer_group_id == dealer_group_id, FollowUpRow.next_service_date.is_not(None)))).all()}

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
        for r in reminders_due(facts, CustomerFacts(owner.id, owner.consent_to_call, owner.unreachable_since), today):
            task_id = await add_task(session, dealer_group_id, r, now)
            if task_id:
                created.append({"id": task_id, "kind": r.kind.value, "vehicle_id": r.vehicle_id,
                                "customer_id": r.customer_id, "due_on": r.due_on.isoformat(), "detail": r.detail})
    return created


async def dealer_groups(session: AsyncSession) -> list[str]:
    return list((await session.exec(select(distinct(VehicleRow.dealer_group_id)))).all())


def reminder_loop(tz_name: str, poll_seconds: float):
    """Background job: once per local day (by the service's clock), run the reminders for every group."""
    tz: tzinfo = ZoneInfo(tz_name)

    async def daily_reminders(runtime) -> None:
        from shared.db import unit_of_work

        done_for: date | None = None
        while True:
            today = runtime.clock.now().astimezone(tz).date()
            if today != done_for:
                try:
                    async with unit_of_work(runtime.sessions) as session:
                        groups = await dealer_groups(session)
                    total = 0
                    for i, dg in enumerate(groups, 1):
                        async with unit_of_work(runtime.sessions) as session:
                            n = len(await run_reminders(session, dg, today, now=runtime.clock.now()))
                        total += n
                        log.info("crm.reminders_progress", day=today.isoformat(), dealer_group=dg,
                                 group=f"{i}/{len(groups)}", tasks_created=n)
                    done_for = today
                    log.info("crm.reminders_ran", day=today.isoformat(), tasks_created=total)
                except Exception as e:  # the loop must survive a bad night; it retries at the next poll
                    log.error("crm.reminders_failed", day=today.isoformat(), error=repr(e))
            await asyncio.sleep(poll_seconds)

    return daily_reminders
