"""Call tasks: created from reminders (once per reminder key), settled by a call's outcome."""

from __future__ import annotations

from shared.kit import UnitOfWork

from ..adapters.repository import CallTasks, Customers
from ..domain.call_task import CallTask, call_told_about
from ..domain.reminders import Reminder
from .commands import CallTaskDone
from .common import local_day


async def add_task(uow: UnitOfWork, reminder: Reminder) -> CallTask | None:
    """A call task for the reminder, unless its key already made one: running a job twice creates nothing twice."""
    task = CallTask.for_reminder(reminder, dealer_group_id=uow.actor.dealer_group_id)
    return task if await uow.repo(CallTasks).add_once(task, created_at=uow.now()) else None


async def complete_call_task(uow: UnitOfWork, cmd: CallTaskDone) -> CallTask:
    """Record a reminder call. What it found out changes the customer too: unreachable, reachable again, or
    refused contact (consent to call withdrawn, CustomerUpdated)."""
    task = await uow.repo(CallTasks).get(cmd.task_id)
    task.check_version(cmd.version)
    outcome = task.record_call(cmd.outcome, reason=cmd.reason, note=cmd.note, now=uow.now(), by=uow.actor.user_id)
    customer = await uow.repo(Customers).get(task.customer_id)
    call_told_about(customer, outcome, local_day(uow))
    await uow.repo(Customers).save(customer)
    await uow.repo(CallTasks).save(task)
    return task
