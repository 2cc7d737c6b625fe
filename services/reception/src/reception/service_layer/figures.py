"""reception's figures for a span of days, days, weeks or months (docs/kpis.md)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from shared.kit import UnitOfWork
from shared.kit.figures import FiguresAnswer, Granularity, next_period, periods

from ..adapters import repository as repo
from ..domain import figures as kpis


async def figures(uow: UnitOfWork, *, date_from: date, date_to: date, granularity: Granularity,
                  store_id: str | None) -> FiguresAnswer:
    """Whole periods from the one holding `date_from` to the one holding `date_to`, in the stores' local days.
    One store when named; else every store of the caller's (a store user's stores, with or without work;
    for a group role, each store with work in the span)."""
    starts = periods(date_from, date_to, granularity)
    tz = ZoneInfo(uow.settings.store_timezone)
    start = datetime.combine(starts[0], time(), tz)
    end = datetime.combine(next_period(starts[-1], granularity), time(), tz)
    orders = await repo.orders_between(uow, start, end, store_id)
    stores = [store_id] if store_id else [] if uow.actor.spans_group else sorted(uow.actor.store_ids)
    return FiguresAnswer(service="reception", granularity=granularity, date_from=date_from, date_to=date_to,
                         figures=kpis.figures(orders, stores=stores, periods=starts, granularity=granularity, tz=tz))
