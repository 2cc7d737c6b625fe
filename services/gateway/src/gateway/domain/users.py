"""Who a user is allowed to be, and who may make them so: the gateway's rules for user records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from shared.auth import GROUP_WIDE_ROLES, Principal, Role
from shared.contracts import organisation as events
from shared.errors import DomainError, Forbidden
from shared.kit import Aggregate

# Who manages users: a group administrator for the whole group; a service manager (a store's
# administrator) only store-level users of its own stores.
USER_ADMINS = frozenset({Role.GROUP_ADMIN, Role.SERVICE_MANAGER})


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


def check_stores_of_group(store_ids: Iterable[str], known: Iterable[str]) -> None:
    """Every store named must be a store record of the group (422 naming the unknown ones)."""
    unknown = sorted(set(store_ids) - set(known))
    if unknown:
        raise DomainError(f"unknown store(s) of this dealer group: {', '.join(unknown)}", field="store_ids")


def check_may_grant(actor: Principal, *, dealer_group_id: str, roles: Iterable[str], store_ids: Iterable[str]) -> None:
    """May `actor` make a user of this group with these roles and stores? Nobody reaches into another
    group; only a group administrator grants group roles or stores it does not hold itself."""
    if dealer_group_id != actor.dealer_group_id:
        raise Forbidden("users of another dealer group cannot be managed", field="dealer_group_id")
    if Role.GROUP_ADMIN in actor.roles:
        return
    if not actor.roles & USER_ADMINS:
        raise Forbidden("only a group administrator or a service manager manages users")
    if {Role(r) for r in roles if r in Role._value2member_map_} & (GROUP_WIDE_ROLES | {Role.SERVICE_MANAGER}):
        raise Forbidden("only a group administrator grants group roles or the service manager role",
                        field="roles")
    outside = sorted(set(store_ids) - actor.store_ids)
    if outside:
        raise Forbidden(f"no access to store(s) {', '.join(outside)}", field="store_ids")


class User(Aggregate):
    """A person who logs in: roles and stores within one dealer group (a group record: store_id empty).
    The password hash is not part of it (it would land in the audit trail); it lives beside the row."""

    kind: ClassVar[str] = "user"

    display_name: str
    roles: list[str]
    store_ids: list[str]
    active: bool = True

    @classmethod
    def create(cls, *, username: str, dealer_group_id: str, display_name: str, roles: list[str],
               store_ids: list[str]) -> User:
        check_user_scope(roles, store_ids)
        return cls(id=username, dealer_group_id=dealer_group_id, store_id="", display_name=display_name,
                   roles=sorted(set(roles)), store_ids=sorted(set(store_ids)))

    def change(self, *, display_name: str | None = None, roles: list[str] | None = None,
               store_ids: list[str] | None = None) -> None:
        roles = self.roles if roles is None else sorted(set(roles))
        store_ids = self.store_ids if store_ids is None else sorted(set(store_ids))
        check_user_scope(roles, store_ids)
        access_changed = (roles, store_ids) != (self.roles, self.store_ids)
        self.roles, self.store_ids = roles, store_ids
        if display_name is not None:
            self.display_name = display_name
        self.changed()
        if access_changed:  # tokens with the old roles or stores stop, at every service
            self.raise_event(events.UserAccessChanged(**self.access()))

    def deactivate(self) -> None:
        if self.active:
            self.active = False
            self.changed()
            self.raise_event(events.UserDeactivated(**self.access()))

    def reactivate(self) -> None:
        if not self.active:
            self.active = True
            self.changed()
            self.raise_event(events.UserReactivated(**self.access()))

    def access(self) -> dict:
        """What the user may do now: the payload of every user event."""
        return dict(user_id=self.id, roles=self.roles, store_ids=self.store_ids, active=self.active)

    def check_managed_by(self, actor: Principal) -> None:
        """A service manager manages only store-level users all of whose stores it holds."""
        check_may_grant(actor, dealer_group_id=self.dealer_group_id, roles=self.roles, store_ids=self.store_ids)
