"""Who a user is allowed to be: the gateway's rules for user records."""

from __future__ import annotations

from collections.abc import Iterable

from shared.auth import GROUP_WIDE_ROLES, Role
from shared.errors import DomainError


def check_user_scope(roles: Iterable[str], store_ids: Iterable[str]) -> None:
    """Roles must be known, and a user without a group role needs at least one store: scoping fails
    closed, so such a user would see nothing at all."""
    try:
        known = {Role(r) for r in roles}
    except ValueError as e:
        raise DomainError(f"unknown role: {e}", field="roles") from None
    if not known:
        raise DomainError("a user needs at least one role", field="roles")
    if not known & GROUP_WIDE_ROLES and not list(store_ids):
        raise DomainError("a user without a group role needs at least one store", field="store_ids")
