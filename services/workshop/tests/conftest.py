"""workshop's test helpers: publish reception's and parts' facts as they would, read what workshop published."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from shared.clock import FixedClock

from tests.support.kafka import kafka_producer
from tests.support.upstream import Upstream

SH = ZoneInfo("Asia/Shanghai")


@pytest_asyncio.fixture(scope="session")
async def upstream(infra) -> Upstream:
    async with kafka_producer(infra) as producer:
        yield Upstream(producer, infra.kafka_bootstrap)


@pytest.fixture
def clock() -> FixedClock:
    """Tuesday 1 December 2026, 09:00 in the stores' time zone."""
    return FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=SH))
