"""The renewal reminder job (续保提醒): once a local day, by the service's clock, every dealer group's policies
that expire within `renewal_days_ahead` days get one InsuranceRenewalDue each (once per policy and renewal
window; crm puts them on its reminder list). Like crm's daily reminder loop."""

from __future__ import annotations

import asyncio
from datetime import date
from zoneinfo import ZoneInfo

from shared.auth import Principal
from shared.kit import UnitOfWork
from shared.observability import get_logger
from sqlalchemy import distinct, select

from ..adapters.orm import InsuranceClaimRow
from .insurance import renewals_for

log = get_logger(__name__)


async def daily_renewal_reminders(runtime) -> None:
    """Background job: once per local day, the renewal reminders of every group; a failed day is retried at
    the next poll."""
    settings = runtime.settings
    done_for: date | None = None
    while True:
        today = runtime.clock.now().astimezone(ZoneInfo(settings.timezone)).date()
        if today != done_for:
            try:
                await run_renewals(runtime, today)
                done_for = today
            except Exception as e:  # the loop must survive a bad night
                log.error("claims.renewals_failed", day=today.isoformat(), error=repr(e))
        await asyncio.sleep(settings.renewal_poll_seconds)


async def run_renewals(runtime, today: date) -> int:
    """One transaction per dealer group, acted on by the job itself; returns the reminders raised."""
    async with runtime.sessions() as session, session.begin():
        groups = list((await session.execute(
            select(distinct(InsuranceClaimRow.dealer_group_id)).where(InsuranceClaimRow.policy_expiry >= today)
        )).scalars())
    total = 0
    for dg in sorted(groups):
        async with runtime.sessions() as session, session.begin():
            uow = UnitOfWork(session, outbox=runtime.outbox, clock=runtime.clock, settings=runtime.settings,
                             actor=Principal.service(dg, "claims.renewals"), command="daily_renewal_reminders")
            n = len(await renewals_for(uow, today, days_ahead=runtime.settings.renewal_days_ahead))
        total += n
        if n:
            log.info("claims.renewals_group", day=today.isoformat(), dealer_group=dg, reminders=n)
    log.info("claims.renewals_ran", day=today.isoformat(), groups=len(groups), reminders=total)
    return total
