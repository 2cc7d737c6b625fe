"""Who may do what in claims: one alias per role set, used as route parameters."""

from __future__ import annotations

from shared.auth import Role
from shared.kit import Command, Query

Manager = Command(Role.SERVICE_MANAGER)
Reader = Query(Role.SERVICE_MANAGER, Role.GROUP_ANALYST, Role.GROUP_ADMIN)
