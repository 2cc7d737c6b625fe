"""What every handler needs: the runtime's clock, outbox and settings, the store's working hours."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from shared.clock import Clock
from shared.contracts.base import DomainEvent
from shared.messaging.envelope import Tenant
from shared.messaging.outbox import Outbox
from sqlmodel.ext.asyncio.session import AsyncSession

from ..config import Settings
from ..domain.capacity import WorkingHours


@dataclass(frozen=True)
class Context:
    outbox: Outbox
    clock: Clock
    settings: Settings

    @property
    def working_hours(self) -> WorkingHours:
        s = self.settings
        return WorkingHours(opens=s.workshop_opens, closes=s.workshop_closes, tz=ZoneInfo(s.store_timezone))

    async def publish(self, session: AsyncSession, events: list[DomainEvent], dealer_group_id: str,
                      store_id: str) -> None:
        await self.outbox.record_all(session, events, tenant=Tenant(dealer_group_id, store_id))
        events.clear()
