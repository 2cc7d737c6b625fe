"""The parts room's figures (KPIs) on the figures contract: gather the records, let domain/figures.py count."""

from __future__ import annotations

from datetime import date

from shared.kit import UnitOfWork
from shared.kit.figures import FiguresAnswer, Granularity, periods, span, store_zone, stores_in_scope

from ..adapters.repository import IssueSlips, Parts
from ..domain.figures import RequestedLine, SoldLine, parts_figures


async def figures(uow: UnitOfWork, date_from: date, date_to: date, granularity: Granularity,
                  store_id: str | None) -> FiguresAnswer:
    """Every period from the one holding `date_from` to the one holding `date_to`, in the stores' local dates."""
    starts = periods(date_from, date_to, granularity)
    tz = store_zone(uow.settings)
    lo, hi = span(starts, granularity, tz)
    parts = await uow.repo(Parts).list(store_id=store_id)
    slips = await uow.repo(IssueSlips).list(store_id=store_id)
    requested = [RequestedLine(s.store_id, s.requested_at, ln.in_stock_at_request)
                 for s in slips if s.requested_at is not None and lo <= s.requested_at < hi
                 for ln in s.lines if ln.in_stock_at_request is not None]
    sold = [SoldLine(s.store_id, s.issued_at, ln.quantity - ln.returned, ln.unit_price)
            for s in slips if s.issued_at is not None and lo <= s.issued_at < hi
            for ln in s.lines if ln.unit_price is not None]
    stores = stores_in_scope(uow.actor, store_id, [p.store_id for p in parts] + [s.store_id for s in slips])
    out = parts_figures(stores=stores, starts=starts, granularity=granularity, tz=tz,
                        today=uow.now().astimezone(tz).date(), parts=parts, requested=requested, sold=sold)
    return FiguresAnswer(service="parts", granularity=granularity, date_from=date_from, date_to=date_to, figures=out)
