"""Jobs on the floor: dispatch (派工), clocking on and off, parts, added work (增项), the three checks
(三检), joint diagnosis and the wash. Each handler loads the work order, calls the domain, saves."""

from __future__ import annotations

import uuid

from shared.auth import Role
from shared.errors import Forbidden
from shared.kit import UnitOfWork

from ..adapters.repository import WorkOrders, open_orders, shop_of
from ..domain.dispatch import Recommendation, recommend, technician_loads, validate_choice
from ..domain.work_order import Finding, WorkOrder
from . import commands as c


async def _order(uow: UnitOfWork, cmd) -> WorkOrder:
    wo = await uow.repo(WorkOrders).get(cmd.repair_order_id)
    wo.check_version(getattr(cmd, "version", None))
    return wo


async def _saved(uow: UnitOfWork, wo: WorkOrder) -> WorkOrder:
    await uow.repo(WorkOrders).save(wo)
    return wo


async def recommendation(uow: UnitOfWork, repair_order_id: str, job_id: str) -> Recommendation:
    """Who should take the job, and why (skill, load, priority)."""
    wo = await uow.repo(WorkOrders).get(repair_order_id, lock=False)
    shop = await shop_of(uow, wo.store_id, lock=False)
    loads = technician_loads(await open_orders(uow, wo.store_id), uow.now())
    return recommend(wo, wo.job(job_id), shop.technicians, loads)


async def dispatch(uow: UnitOfWork, cmd: c.Dispatch) -> WorkOrder:
    wo = await _order(uow, cmd)
    shop = await shop_of(uow, wo.store_id, lock=False)
    job = wo.job(cmd.job_id)
    if cmd.technician_id is None:
        loads = technician_loads(await open_orders(uow, wo.store_id), uow.now())
        tech = shop.technician(recommend(wo, job, shop.technicians, loads).technician_id)
    else:
        tech = shop.technician(cmd.technician_id)
        validate_choice(job, tech)
    wo.dispatch(cmd.job_id, team_id=tech.team_id, technician_id=tech.technician_id, by=uow.actor.user_id)
    return await _saved(uow, wo)


def _technician(uow: UnitOfWork, given: str | None) -> str:
    """A technician clocks themselves; the supervisor may clock on for one."""
    if given and given != uow.actor.user_id and not uow.actor.roles & {Role.WORKSHOP_SUPERVISOR,
                                                                       Role.SERVICE_MANAGER}:
        raise Forbidden("only the workshop supervisor clocks on for someone else", field="technician_id")
    return given or uow.actor.user_id


async def start(uow: UnitOfWork, cmd: c.StartJob) -> WorkOrder:
    wo = await _order(uow, cmd)
    wo.start(cmd.job_id, technician_id=_technician(uow, cmd.technician_id), now=uow.now())
    return await _saved(uow, wo)


async def pause(uow: UnitOfWork, cmd: c.PauseJob) -> WorkOrder:
    wo = await _order(uow, cmd)
    wo.pause(cmd.job_id, reason=cmd.reason, note=cmd.note, now=uow.now(), resume_expected_at=cmd.resume_expected_at)
    return await _saved(uow, wo)


async def resume(uow: UnitOfWork, cmd: c.StartJob) -> WorkOrder:
    wo = await _order(uow, cmd)
    wo.resume(cmd.job_id, technician_id=_technician(uow, cmd.technician_id), now=uow.now())
    return await _saved(uow, wo)


async def complete(uow: UnitOfWork, cmd: c.CompleteJob) -> WorkOrder:
    wo = await _order(uow, cmd)
    wo.complete(cmd.job_id, now=uow.now())
    return await _saved(uow, wo)


async def request_parts(uow: UnitOfWork, cmd: c.RequestParts) -> WorkOrder:
    wo = await _order(uow, cmd)
    wo.request_parts(cmd.job_id, request_id=str(uuid.uuid4()), technician_id=uow.actor.user_id, lines=cmd.lines)
    return await _saved(uow, wo)


async def record_finding(uow: UnitOfWork, cmd: c.RecordFinding) -> WorkOrder:
    wo = await _order(uow, cmd)
    finding = Finding(finding_id=str(uuid.uuid4()), job_id=cmd.job_id, description=cmd.description,
                      safety_related=cmd.safety_related, operation_code=cmd.operation_code,
                      estimated_hours=cmd.estimated_hours, photos=cmd.photos, found_by=uow.actor.user_id)
    wo.find_added_work(finding, parts=cmd.parts)
    return await _saved(uow, wo)


async def inspect(uow: UnitOfWork, cmd: c.Inspect) -> WorkOrder:
    wo = await _order(uow, cmd)
    roles = {r.value for r in uow.actor.roles}
    shop = await shop_of(uow, wo.store_id, lock=False)
    if shop.is_team_leader(uow.actor.user_id):
        roles.add(Role.TEAM_LEADER.value)
    wo.inspect(cmd.job_id, stage=cmd.stage, inspector_id=uow.actor.user_id, inspector_roles=roles,
               passed=cmd.passed, checklist=cmd.checklist, reason=cmd.reason, now=uow.now())
    return await _saved(uow, wo)


async def joint_diagnosis(uow: UnitOfWork, cmd: c.JointDiagnosis) -> WorkOrder:
    wo = await _order(uow, cmd)
    wo.escalate(cmd.job_id, diagnosis=cmd.diagnosis, by=uow.actor.user_id, participants=cmd.participants)
    return await _saved(uow, wo)


async def wash(uow: UnitOfWork, cmd: c.Wash) -> WorkOrder:
    wo = await uow.repo(WorkOrders).get(cmd.repair_order_id)
    wo.wash()
    return await _saved(uow, wo)
