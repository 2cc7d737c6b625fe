"""The renewal reminder job (续保提醒): once a local day, by the service's clock, every dealer group's policies
that expire within `renewal_days_ahead` days get one InsuranceRenewalDue each (once per policy and renewal
window; crm puts them on its reminder list). Like crm's daily reminder loop."""

from __future__ import annotations

from datetime import date

from shared.kit import UnitOfWork
from shared.kit.jobs import daily_job
from sqlalchemy import distinct, select

from ..adapters.orm import InsuranceClaimRow
from .insurance import renewals_for


async def _groups(session, today: date) -> list[str]:
    """The groups with a policy not yet expired."""
    return list((await session.execute(
        select(distinct(InsuranceClaimRow.dealer_group_id)).where(InsuranceClaimRow.policy_expiry >= today)
    )).scalars())


async def _raised(uow: UnitOfWork, today: date) -> int:
    return len(await renewals_for(uow, today, days_ahead=uow.settings.renewal_days_ahead))


daily_renewal_reminders = daily_job("claims.renewals", groups=_groups, run=_raised,
                                    poll_seconds=lambda s: s.renewal_poll_seconds)

