"""What every crm router shares: strict request models, role sets, the store's time zone."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from shared.auth import Principal, Role, require_roles


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Versioned(Strict):
    version: int = Field(ge=1, description="The version you read; a stale one is refused with 409")


def public(model: type[BaseModel], row) -> dict:
    return model.model_validate(row, from_attributes=True).model_dump(mode="json")


def tz(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


CareAgent = Annotated[Principal, Depends(require_roles(Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR))]
CareReader = Annotated[Principal, Depends(require_roles(
    Role.CUSTOMER_CARE, Role.FRONT_DESK_SUPERVISOR, Role.ADVISOR, Role.GENERAL_MANAGER, Role.GROUP_ANALYST,
    Role.GROUP_ADMIN))]
