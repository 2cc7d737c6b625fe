"""What every crm handler shares: the stores' time zone (from settings) and their local day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from shared.kit import UnitOfWork


def store_tz(uow: UnitOfWork) -> ZoneInfo:
    return ZoneInfo(uow.settings.timezone)


def local_day(uow: UnitOfWork, at: datetime | None = None) -> date:
    """The stores' calendar day at `at` (default: now by the service clock)."""
    return (at or uow.now()).astimezone(store_tz(uow)).date()
