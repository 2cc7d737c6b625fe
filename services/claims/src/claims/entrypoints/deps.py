"""Who may do what in claims: one alias per role set, used as route parameters.

The warranty specialist (索赔专员) runs warranty claims, the insurance clerk (保险理赔员) insurance claims;
the service manager may do both. The manufacturer never calls HTTP: it talks over Kafka (oem.*)."""

from __future__ import annotations

from shared.auth import Role
from shared.kit import Command, Query

WarrantyDesk = Command(Role.WARRANTY_SPECIALIST, Role.SERVICE_MANAGER)
InsuranceDesk = Command(Role.INSURANCE_CLERK, Role.SERVICE_MANAGER)
WarrantyReader = Query(Role.WARRANTY_SPECIALIST, Role.SERVICE_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_ANALYST,
                       Role.GROUP_ADMIN)
InsuranceReader = Query(Role.INSURANCE_CLERK, Role.SERVICE_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_ANALYST,
                        Role.GROUP_ADMIN)
# The desk's figures (KPIs): either desk's people and management.
FiguresReader = Query(Role.WARRANTY_SPECIALIST, Role.INSURANCE_CLERK, Role.SERVICE_MANAGER, Role.GENERAL_MANAGER,
                      Role.GROUP_ANALYST, Role.GROUP_ADMIN)
