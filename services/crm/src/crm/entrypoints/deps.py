"""Who may do what in crm: the route parameters that run a command (`Command`) or open a read (`Query`)."""

from __future__ import annotations

from shared.auth import Role
from shared.kit import Command, Query

# customers and vehicles
RecordWriter = Command(Role.CUSTOMER_CARE, Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.INSURANCE_CLERK)
RecordReader = Query(Role.CUSTOMER_CARE, Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.INSURANCE_CLERK,
                     Role.WARRANTY_SPECIALIST, Role.GROUP_ANALYST, Role.GROUP_ADMIN, Role.GENERAL_MANAGER)

# customer care
CareAgent = Command(Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR)
CareReader = Query(Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.ADVISOR, Role.GENERAL_MANAGER,
                   Role.GROUP_ANALYST, Role.GROUP_ADMIN)
FollowUpRetrier = Command(Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.ADVISOR)
ComplaintOpener = Command(Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.ADVISOR, Role.GENERAL_MANAGER)
ComplaintAssigner = Command(Role.GENERAL_MANAGER)
ComplaintHandler = Command(Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER)
ReminderRunner = Command(Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.GROUP_ADMIN)
ReportReader = Query(Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER, Role.GROUP_ANALYST,
                     Role.GROUP_ADMIN)
