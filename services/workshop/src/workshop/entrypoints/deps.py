"""Who may do what in workshop: one alias per role set, used as route parameters (the service manager
may do everything, as everywhere)."""

from __future__ import annotations

from shared.auth import Role
from shared.kit import Command, Query

# The workshop supervisor (车间主任) runs the floor and the shop's set-up; the technical director too.
Supervisor = Command(Role.WORKSHOP_SUPERVISOR, Role.TECHNICAL_DIRECTOR)
# Technicians (and team leaders, who also work) clock on and off, request parts, report added work.
Worker = Command(Role.TECHNICIAN, Role.TEAM_LEADER, Role.WORKSHOP_SUPERVISOR)
# The three checks: the technician, the team leader, the QC inspector or technical director.
Inspector = Command(Role.TECHNICIAN, Role.TEAM_LEADER, Role.QC_INSPECTOR, Role.TECHNICAL_DIRECTOR)
# Hard faults: the technical director records the joint diagnosis.
Director = Command(Role.TECHNICAL_DIRECTOR)
Washer = Command(Role.WORKSHOP_SUPERVISOR, Role.QC_INSPECTOR, Role.TEAM_LEADER, Role.TECHNICIAN)
Reader = Query(Role.WORKSHOP_SUPERVISOR, Role.TECHNICAL_DIRECTOR, Role.TEAM_LEADER, Role.TECHNICIAN,
               Role.QC_INSPECTOR, Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER,
               Role.GROUP_ANALYST, Role.GROUP_ADMIN)
# The store's figures (docs/kpis.md): the workshop's managers, the store's management and the group's analysts.
FiguresReader = Query(Role.WORKSHOP_SUPERVISOR, Role.TECHNICAL_DIRECTOR, Role.FRONT_DESK_SUPERVISOR,
                      Role.GENERAL_MANAGER, Role.GROUP_ANALYST, Role.GROUP_ADMIN)
