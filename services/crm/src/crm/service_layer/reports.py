"""Report queries: gather the facts for the pure report rules in domain/reports.py."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from shared.kit import UnitOfWork

from ..adapters import repository as repo
from ..adapters.orm import ComplaintRow, FollowUpRow
from ..adapters.repository import Complaints, FollowUps
from ..domain.follow_up import FollowUpStatus
from ..domain.reports import (
    ComplaintFacts,
    FollowUpFacts,
    SurveyFacts,
    last_full_week,
    last_month,
    monthly_report,
    parse_month,
    report_week,
    weekly_follow_up_report,
)
from .common import local_day, store_tz


def _bounds(first: date, end: date, tz: tzinfo) -> tuple[datetime, datetime]:
    return datetime.combine(first, time(), tzinfo=tz), datetime.combine(end, time(), tzinfo=tz)


async def weekly_follow_ups(uow: UnitOfWork, week_start: date | None, store_id: str | None) -> dict:
    """Follow-ups of the week's deliveries (Monday to Sunday, store time); default: the last full week."""
    week_start = week_start or last_full_week(local_day(uow))
    lo, hi = _bounds(*report_week(week_start), store_tz(uow))
    t = FollowUpRow
    follow_ups = await uow.repo(FollowUps).list(t.delivered_at >= lo, t.delivered_at < hi, store_id=store_id)
    out = weekly_follow_up_report(week_start, [FollowUpFacts(f.advisor_id, f.status.value,
                                                             f.failure_reason.value if f.failure_reason else None)
                                               for f in follow_ups])
    return {"store_id": store_id, **out}


async def monthly(uow: UnitOfWork, month: str | None, store_id: str | None) -> dict:
    """A month's satisfaction and complaints (default: last month)."""
    now = uow.now()
    month = month or last_month(local_day(uow))
    lo, hi = _bounds(*parse_month(month), store_tz(uow))
    visits = await repo.visit_count(uow, lo, hi, store_id)
    f, c = FollowUpRow, ComplaintRow
    completed = await uow.repo(FollowUps).list(f.status == FollowUpStatus.COMPLETED.value, f.completed_at >= lo,
                                               f.completed_at < hi, store_id=store_id)
    surveys = [SurveyFacts(x.satisfaction, dict(x.answers)) for x in completed]
    opened = await uow.repo(Complaints).list(c.opened_at >= lo, c.opened_at < hi, store_id=store_id)
    complaints = [ComplaintFacts(x.severity.value, x.status.value, x.is_overdue(now)) for x in opened]
    return {"store_id": store_id, **monthly_report(month, visits=visits, surveys=surveys, complaints=complaints)}
