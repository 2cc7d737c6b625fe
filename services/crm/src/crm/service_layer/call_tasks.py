"""Call tasks: created from reminders (once per reminder key), settled by a call's outcome."""

from __future__ import annotations

from shared.contracts.claims import InsuranceRenewalDue
from shared.kit import UnitOfWork
from shared.observability import get_logger

from ..adapters.repository import CallTasks, Customers, Vehicles
from ..domain.call_task import CallTask, call_told_about
from ..domain.reminders import CustomerFacts, Reminder, insurance_renewal_call, is_call_target
from .commands import CallTaskDone
from .common import local_day

log = get_logger(__name__)


async def add_task(uow: UnitOfWork, reminder: Reminder) -> CallTask | None:
    """A call task for the reminder, unless its key already made one: running a job twice creates nothing twice."""
    task = CallTask.for_reminder(reminder, dealer_group_id=uow.actor.dealer_group_id)
    return task if await uow.repo(CallTasks).add_once(task, created_at=uow.now()) else None


async def insurance_renewal_due(uow: UnitOfWork, e: InsuranceRenewalDue) -> None:
    """claims knows a policy from an accident claim that expires soon: it joins the insurance reminders
    (once per vehicle and expiry), unless the customer is not to be called."""
    vehicle = await uow.repo(Vehicles).find(e.vehicle_id, lock=False)
    if vehicle is None:
        log.warning("crm.renewal_for_unknown_vehicle", vehicle_id=e.vehicle_id)
        return
    owner = await uow.repo(Customers).find(vehicle.owner_customer_id, lock=False)
    today = local_day(uow)
    if owner is None or not is_call_target(CustomerFacts(owner.id, owner.consent_to_call, owner.unreachable_since),
                                           today):
        return
    await add_task(uow, insurance_renewal_call(
        vehicle_id=vehicle.id, customer_id=owner.id, store_id=vehicle.store_id, insurer=e.insurer,
        policy_number=e.policy_number, expires_on=e.expires_on, today=today))


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
