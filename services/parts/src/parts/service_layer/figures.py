"""The store's figures for the parts manager: fill rate and stock turnover over a period."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.errors import DomainError
from shared.kit import UnitOfWork

from ..adapters.repository import IssueSlips, Parts
from ..domain.figures import StoreFigures, store_figures

MAX_DAYS = 366


async def figures(uow: UnitOfWork, store_id: str, start: date | None, end: date | None) -> StoreFigures:
    """Both days included, in the stores' local time; default the 30 days to today."""
    tz = ZoneInfo(getattr(uow.settings, "timezone", "Asia/Shanghai"))
    end = end or uow.now().astimezone(tz).date()
    start = start or end - timedelta(days=29)
    if start > end:
        raise DomainError("the period starts after it ends", field="from")
    if (end - start).days >= MAX_DAYS:
        raise DomainError(f"a period is at most {MAX_DAYS} days", field="from")
    lo, hi = datetime.combine(start, time(), tz), datetime.combine(end + timedelta(days=1), time(), tz)
    parts = await uow.repo(Parts).list(store_id=store_id)
    covered = [ln.in_stock_at_request for s in await uow.repo(IssueSlips).list(store_id=store_id)
               if s.requested_at is not None and lo <= s.requested_at < hi
               for ln in s.lines if ln.in_stock_at_request is not None]
    return store_figures(store_id=store_id, parts=parts, covered_at_request=covered, period_start=start,
                         period_end=end, start=lo, end=hi)
