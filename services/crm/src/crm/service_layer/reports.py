"""Report queries: gather the facts for the pure report rules in domain/reports.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from shared.auth import Principal
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ..adapters import repository as repo
from ..adapters.orm import ComplaintRow, FollowUpRow, ServiceVisitRow
from ..domain.reports import (
    ComplaintFacts,
    FollowUpFacts,
    SurveyFacts,
    monthly_report,
    parse_month,
    report_week,
    weekly_follow_up_report,
)
from .care import _store_filter


def _bounds(first: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(end, time(), tzinfo=tz)


async def weekly_follow_ups(session: AsyncSession, principal: Principal, week_start: date, tz: tzinfo,
                            store_id: str | None) -> dict:
    """Follow-ups of the week's deliveries (Monday to Sunday, store time)."""
    first, end = report_week(week_start)
    lo, hi = _bounds(first, end, tz)
    q = select(FollowUpRow).where(FollowUpRow.dealer_group_id == principal.dealer_group_id,
                                  FollowUpRow.delivered_at >= lo, FollowUpRow.delivered_at < hi)
    rows = (await session.exec(_store_filter(q, FollowUpRow, principal, store_id))).all()
    out = weekly_follow_up_report(week_start, [FollowUpFacts(r.advisor_id, r.status, r.failure_reason) for r in rows])
    return {"store_id": store_id, **out}


async def monthly(session: AsyncSession, principal: Principal, month: str, tz: tzinfo, store_id: str | None,
                  now: datetime) -> dict:
    first, nxt = parse_month(month)
    lo, hi = _bounds(first, nxt, tz)
    dg = principal.dealer_group_id
    vq = select(func.count()).select_from(ServiceVisitRow).where(
        ServiceVisitRow.dealer_group_id == dg, ServiceVisitRow.delivered_at >= lo, ServiceVisitRow.delivered_at < hi)
    visits = (await session.exec(_store_filter(vq, ServiceVisitRow, principal, store_id))).one()
    fq = select(FollowUpRow).where(FollowUpRow.dealer_group_id == dg, FollowUpRow.status == "completed",
                                   FollowUpRow.completed_at >= lo, FollowUpRow.completed_at < hi)
    surveys = [SurveyFacts(r.satisfaction, dict(r.answers or {}))
               for r in (await session.exec(_store_filter(fq, FollowUpRow, principal, store_id))).all()]
    cq = select(ComplaintRow).where(ComplaintRow.dealer_group_id == dg, ComplaintRow.opened_at >= lo,
                                    ComplaintRow.opened_at < hi)
    complaints = []
    for r in (await session.exec(_store_filter(cq, ComplaintRow, principal, store_id))).all():
        complaints.append(ComplaintFacts(r.severity, r.status, repo.complaint_from_row(r).is_overdue(now)))
    return {"store_id": store_id, **monthly_report(month, visits=visits, surveys=surveys, complaints=complaints)}


def previous_monday(today: date) -> date:
    return today - timedelta(days=today.weekday() + 7)
