"""Who may do what in parts: one alias per role set, used as route parameters.

The parts clerk is the storekeeper, planner and buyer (库管员 / 计划员 / 采购员); the parts manager reviews
plans and approves write-offs; the service manager approves plans and write-offs; the warranty specialist
signs off warranty jobs' slips and approves write-offs as the warranty supervisor; technicians request parts
and advisors countersign their slips.
"""

from __future__ import annotations

from shared.auth import Role
from shared.kit import Command, Query

PARTS = (Role.PARTS_CLERK, Role.PARTS_MANAGER)
PartsRoom = Command(*PARTS)
PartsManager = Command(Role.PARTS_MANAGER)
ServiceManager = Command(Role.SERVICE_MANAGER)
Requester = Command(Role.TECHNICIAN, Role.TEAM_LEADER, *PARTS)
Signer = Command(Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.WARRANTY_SPECIALIST)
WriteOffApprover = Command(Role.SERVICE_MANAGER, Role.WARRANTY_SPECIALIST, Role.PARTS_MANAGER)
Reader = Query(*PARTS, Role.SERVICE_MANAGER, Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.TECHNICIAN,
               Role.TEAM_LEADER, Role.WORKSHOP_SUPERVISOR, Role.WARRANTY_SPECIALIST, Role.GENERAL_MANAGER,
               Role.GROUP_ANALYST, Role.GROUP_ADMIN)
# The store's fill rate and turnover: the parts manager's figures, read by management too.
FiguresReader = Query(Role.PARTS_MANAGER, Role.SERVICE_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_ANALYST,
                      Role.GROUP_ADMIN)
