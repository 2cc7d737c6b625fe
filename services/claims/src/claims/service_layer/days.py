"""The stores' calendar day: the dates people give and read (an accident's, a repair's, a reminder run's) are
local, while the clock is UTC (in Shanghai, 00:00-08:00 is still yesterday in UTC)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from shared.kit import UnitOfWork


def local_today(uow: UnitOfWork) -> date:
    return uow.now().astimezone(ZoneInfo(uow.settings.timezone)).date()
