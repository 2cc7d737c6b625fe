"""Follow-up calls (回访): attempts, completion (maybe with a complaint), failure and retry."""

from __future__ import annotations

from shared.errors import DomainError
from shared.kit import UnitOfWork

from ..adapters import repository as repo
from ..adapters.repository import Complaints, Customers, FollowUps
from ..domain.complaint import Complaint, ComplaintChannel
from ..domain.follow_up import AttemptOutcome, FollowUp
from ..domain.model import Customer
from .commands import AttemptCreate, FollowUpComplete, FollowUpFail, FollowUpRetry
from .common import local_day, store_tz


async def _load(uow: UnitOfWork, follow_up_id: str, version: int | None) -> tuple[FollowUp, Customer]:
    """The follow-up (in the caller's stores, at the version the caller read) and its customer, locked."""
    follow_up = await uow.repo(FollowUps).get(follow_up_id)
    follow_up.check_version(version)
    return follow_up, await uow.repo(Customers).get(follow_up.customer_id)


async def record_attempt(uow: UnitOfWork, cmd: AttemptCreate) -> FollowUp:
    """A call that did not complete the follow-up. No answer or a wrong number marks the customer unreachable."""
    f, customer = await _load(uow, cmd.follow_up_id, cmd.version)
    try:
        outcome = AttemptOutcome(cmd.outcome)
    except ValueError:
        raise DomainError(f"unknown outcome {cmd.outcome!r} ({', '.join(AttemptOutcome)})", field="outcome") from None
    now = uow.now()
    called_at = cmd.called_at or now
    f.record_attempt(called_at=called_at, outcome=outcome, now=now, contact_window=customer.contact_window,
                     tz=store_tz(uow), note=cmd.note, agent_id=uow.actor.user_id)
    if outcome.unanswered or outcome == AttemptOutcome.WRONG_NUMBER:
        customer.mark_unreachable(local_day(uow, called_at))
        await uow.repo(Customers).save(customer)
    await uow.repo(FollowUps).save(f)
    return f


async def fail_follow_up(uow: UnitOfWork, cmd: FollowUpFail) -> FollowUp:
    f, _ = await _load(uow, cmd.follow_up_id, cmd.version)
    f.fail(cmd.reason, now=uow.now())
    await uow.repo(FollowUps).save(f)
    return f


async def retry_follow_up(uow: UnitOfWork, cmd: FollowUpRetry) -> FollowUp:
    f, customer = await _load(uow, cmd.follow_up_id, cmd.version)
    f.retry_after_correction(now=uow.now(), contact_window=customer.contact_window, tz=store_tz(uow))
    await uow.repo(FollowUps).save(f)
    return f


async def complete_follow_up(uow: UnitOfWork, cmd: FollowUpComplete) -> FollowUp:
    """The customer was reached: the survey, maybe a complaint ticket (channel: follow-up call), and the
    next service date to remind them of (default: the one given at delivery)."""
    f, customer = await _load(uow, cmd.follow_up_id, cmd.version)
    f.require("complete")
    now = uow.now()
    next_service_date = cmd.next_service_date or await repo.visit_next_service_date(uow, f.repair_order_id)
    ticket = None
    if cmd.complaint is not None:
        ticket = Complaint.open(dealer_group_id=f.dealer_group_id, store_id=f.store_id, customer_id=f.customer_id,
                                vehicle_id=f.vehicle_id, repair_order_id=f.repair_order_id, follow_up_id=f.id,
                                channel=ComplaintChannel.FOLLOW_UP_CALL, now=now, **cmd.complaint.model_dump())
    f.complete(called_at=cmd.called_at or now, now=now, contact_window=customer.contact_window, tz=store_tz(uow),
               satisfaction=cmd.satisfaction, answers=cmd.answers, comments=cmd.comments,
               next_service_date=next_service_date, complaint_id=ticket.id if ticket else None,
               agent_id=uow.actor.user_id)
    if ticket:
        await uow.repo(Complaints).add(ticket)
    if customer.unreachable_since is not None:
        customer.mark_reached()
        await uow.repo(Customers).save(customer)
    await uow.repo(FollowUps).save(f)
    return f
