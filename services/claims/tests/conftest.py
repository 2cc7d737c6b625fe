"""claims's test helpers: upstream events as crm and reception publish them, and the manufacturer simulator
(deploy/manufacturer_simulator.py) as its own process, always stopped by its pid."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from shared.clock import FixedClock

from tests.support.kafka import kafka_producer
from tests.support.upstream import Upstream

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[3]
SIMULATOR = ROOT / "deploy" / "manufacturer_simulator.py"


@pytest_asyncio.fixture(scope="session")
async def upstream(infra) -> Upstream:
    async with kafka_producer(infra) as producer:
        yield Upstream(producer, infra.kafka_bootstrap)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 10, 0, tzinfo=SH))


@asynccontextmanager
async def manufacturer(bootstrap: str, *args: str, ready_timeout: float = 60.0):
    """Run the simulator until the block ends; yields its process. Its output goes to the test's log."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(SIMULATOR), "--bootstrap", bootstrap, "--group", f"manufacturer.test-{uuid.uuid4()}",
        "--from-latest", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[str] = []

    async def pump() -> None:
        async for raw in proc.stdout:
            lines.append(raw.decode(errors="replace").rstrip())
    reader = asyncio.create_task(pump())
    try:
        deadline = asyncio.get_running_loop().time() + ready_timeout
        while not any("ready" in ln for ln in lines):
            if proc.returncode is not None or asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the simulator did not get ready:\n" + "\n".join(lines))
            await asyncio.sleep(0.1)
        proc.lines = lines
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        reader.cancel()
        print("\n".join(lines))


@pytest.fixture
def oem_simulator():
    """`async with oem_simulator(bootstrap, *rules) as proc:` the manufacturer simulator, running."""
    return manufacturer
