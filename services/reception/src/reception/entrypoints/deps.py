"""Who may call reception's routes: `Command(...)` parameters run commands, `Query(...)` ones open reads."""

from __future__ import annotations

from shared.auth import Role
from shared.kit import Command, Query

Advisor = Command(Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.WARRANTY_SPECIALIST, Role.INSURANCE_CLERK)
Booker = Command(Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.CUSTOMER_CARE)
Cashier = Command(Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR)
Manager = Command(Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER)
Reader = Query(
    Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.WARRANTY_SPECIALIST, Role.INSURANCE_CLERK, Role.CUSTOMER_CARE,
    Role.WORKSHOP_SUPERVISOR, Role.PARTS_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_ANALYST, Role.GROUP_ADMIN)
# The vehicle lookups (replicas of crm's records) answer the front desk and the group, not the workshop.
VehicleReader = Query(
    Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.WARRANTY_SPECIALIST, Role.INSURANCE_CLERK, Role.CUSTOMER_CARE,
    Role.GROUP_ANALYST, Role.GROUP_ADMIN)
# The store's figures (docs/kpis.md): the managers who run the store by them, and the group's analysts.
FiguresReader = Query(Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER, Role.GROUP_ANALYST, Role.GROUP_ADMIN)
