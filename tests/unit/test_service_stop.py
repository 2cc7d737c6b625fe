"""A service's stop must not hang on a background job whose cancellation a library swallowed (an asyncpg
query cancelled mid-flight surfaced as SQLAlchemy's PendingRollbackError, caught by the job's retry loop:
the whole suite then waited on that job for the test's timeout)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from shared.clock import SystemClock
from shared.kit.jobs import daily_job
from shared.service import _cancel_jobs


async def swallows_the_first_cancel(stopped: list[str]) -> None:
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        pass  # what a driver turning the cancellation into its own error amounts to
    try:
        await asyncio.sleep(3600)
    finally:
        stopped.append("second cancel")


async def stops_only_when_let(let_go: asyncio.Event) -> None:
    while not let_go.is_set():
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            pass


async def test_a_job_that_swallows_a_cancel_is_cancelled_again():
    stopped: list[str] = []
    job = asyncio.create_task(swallows_the_first_cancel(stopped))
    await asyncio.sleep(0)
    await asyncio.wait_for(_cancel_jobs([job]), timeout=5)
    assert stopped == ["second cancel"] and job.done()


async def test_a_job_that_never_stops_is_left_behind_after_the_grace():
    let_go = asyncio.Event()
    job = asyncio.create_task(stops_only_when_let(let_go))
    await asyncio.sleep(0)
    started = asyncio.get_running_loop().time()
    await _cancel_jobs([job], grace_seconds=0.3)
    assert asyncio.get_running_loop().time() - started < 2 and not job.done()
    let_go.set()
    await job


class Begun:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def begin(self):
        return self


class Runtime:
    clock = SystemClock()
    settings = SimpleNamespace(timezone="Asia/Shanghai")

    @staticmethod
    def sessions():
        return Begun()


async def test_the_daily_job_stops_even_when_its_work_turns_the_cancel_into_an_error():
    async def groups(session, today):
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("PendingRollbackError: can't reconnect until rolled back") from None

    job = daily_job("t.job", groups=groups, run=None, poll_seconds=lambda s: 3600)
    task = asyncio.create_task(job(Runtime()))
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.wait([task], timeout=2)
    assert task.done() and task.cancelled()
