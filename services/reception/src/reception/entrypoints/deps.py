"""Shared pieces of reception's routers: roles and the handler context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from shared.auth import Principal, Role, require_roles

from ..service_layer.common import Context

Advisor = Annotated[Principal, Depends(require_roles(
    Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.WARRANTY_SPECIALIST, Role.INSURANCE_CLERK))]
Booker = Annotated[Principal, Depends(require_roles(
    Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.CUSTOMER_CARE))]
Cashier = Annotated[Principal, Depends(require_roles(Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR))]
Manager = Annotated[Principal, Depends(require_roles(Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER))]
Reader = Annotated[Principal, Depends(require_roles(
    Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR, Role.WARRANTY_SPECIALIST, Role.INSURANCE_CLERK, Role.CUSTOMER_CARE,
    Role.WORKSHOP_SUPERVISOR, Role.PARTS_MANAGER, Role.GENERAL_MANAGER, Role.GROUP_ANALYST, Role.GROUP_ADMIN))]


def context(request: Request) -> Context:
    rt = request.app.state.runtime
    return Context(outbox=rt.outbox, clock=rt.clock, settings=request.app.state.settings)
