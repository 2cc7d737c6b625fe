"""The gateway's commands (request bodies)."""

from __future__ import annotations

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema
from shared.auth import Role
from shared.kit import CommandBody

from ..domain.organisation import StoreDetails

CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class RenameGroup(CommandBody):
    name: str = Field(min_length=1, max_length=200)
    version: int | None = Field(default=None, description="The version read; none when the record is new")


class OpenStore(CommandBody, StoreDetails):
    store_id: str = Field(pattern=CODE, description="The store's code, used by every service as store_id")


class ChangeStore(CommandBody, StoreDetails):
    store_id: SkipJsonSchema[str] = ""
    version: int


class CreateUser(CommandBody):
    username: str = Field(pattern=CODE)
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=200)
    roles: list[Role] = Field(min_length=1, max_length=20)
    store_ids: list[str] = Field(default_factory=list, max_length=100)
    dealer_group_id: str | None = Field(default=None, description="The caller's own group when left out")


class ChangeUser(CommandBody):
    user_id: SkipJsonSchema[str] = ""
    version: int
    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=20)
    store_ids: list[str] | None = Field(default=None, max_length=100)


class UserCommand(CommandBody):
    """Deactivate / reactivate a user."""

    user_id: SkipJsonSchema[str] = ""
