"""What several handlers share: the store's working hours, from the service's settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..config import Settings
from ..domain.capacity import WorkingHours


def working_hours(settings: Settings) -> WorkingHours:
    return WorkingHours(opens=settings.workshop_opens, closes=settings.workshop_closes,
                        tz=ZoneInfo(settings.timezone))
