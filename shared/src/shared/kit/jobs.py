"""Daily background jobs: once per local day by the service's clock, for every dealer group.

    daily_reminders = daily_job("crm.reminders", groups=dealer_groups, run=reminders_for,
                                poll_seconds=lambda s: s.reminder_poll_seconds)
    create_service_app(..., background=[daily_reminders])

Each group runs in its own transaction, acted on by the job itself (`Principal.service`), and the job
logs its progress group by group. A day that fails is tried again at the next poll; the loop survives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from zoneinfo import ZoneInfo

from shared.auth import Principal
from shared.observability import get_logger

from .uow import UnitOfWork

log = get_logger(__name__)

Groups = Callable[[object, date], Awaitable[list[str]]]     # (session, today) -> dealer group ids
PerGroup = Callable[[UnitOfWork, date], Awaitable[int]]     # (uow, today) -> how many things it made


def daily_job(name: str, *, groups: Groups, run: PerGroup, poll_seconds: Callable[[object], float]):
    """The background job running `run` once per local day (settings.timezone) for each of `groups`."""

    async def job(runtime) -> None:
        done_for: date | None = None
        while True:
            today = runtime.clock.now().astimezone(ZoneInfo(runtime.settings.timezone)).date()
            if today != done_for:
                try:
                    await run_for_every_group(runtime, today)
                    done_for = today
                except Exception as e:  # the loop must survive a bad night; it retries at the next poll
                    if asyncio.current_task().cancelling():  # a stop a database driver turned into its own
                        raise asyncio.CancelledError from e  # error is still a stop
                    log.error("job.failed", job=name, day=today.isoformat(), error=repr(e))
            await asyncio.sleep(poll_seconds(runtime.settings))

    async def run_for_every_group(runtime, today: date) -> int:
        async with runtime.sessions() as session, session.begin():
            ids = sorted(await groups(session, today))
        total = 0
        for i, dg in enumerate(ids, 1):
            async with runtime.sessions() as session, session.begin():
                uow = UnitOfWork(session, outbox=runtime.outbox, clock=runtime.clock, settings=runtime.settings,
                                 actor=Principal.service(dg, name), command=name)
                n = await run(uow, today)
            total += n
            log.info("job.progress", job=name, day=today.isoformat(), dealer_group=dg, group=f"{i}/{len(ids)}",
                     made=n)
        log.info("job.ran", job=name, day=today.isoformat(), groups=len(ids), made=total)
        return total

    job.__name__ = name.replace(".", "_")
    job.run_for_every_group = run_for_every_group  # for tests and a manual run
    return job
