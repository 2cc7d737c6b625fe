"""reception's figures over HTTP: the contract every service answers (shared.kit.figures)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from shared.kit.figures import FiguresAnswer, Granularity

from ..service_layer import figures as handlers
from .deps import FiguresReader

router = APIRouter(tags=["figures"])


@router.get("/figures", response_model=FiguresAnswer)
async def figures(uow: FiguresReader, date_from: date, date_to: date,
                  granularity: Granularity = Granularity.WEEK,
                  store_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None):
    """Per store and per day, ISO week or month (the stores' local dates): vehicles in (进厂台次), booking rate
    (预约率), comeback rate (返修率), revenue net of VAT (营业额) by kind (labour 工时收入, parts 配件收入,
    materials) and by pay type, and revenue per vehicle (单台产值). Definitions: docs/kpis.md."""
    return await handlers.figures(uow, date_from=date_from, date_to=date_to, granularity=granularity,
                                  store_id=store_id)
