"""The gateway's repositories (shared.kit): groups, stores, users."""

from __future__ import annotations

from shared.kit import Repository
from sqlalchemy import select, update

from ..domain.organisation import DealerGroup, Store
from ..domain.users import User
from .orm import DealerGroupRow, StoreRow, UserRow


class DealerGroups(Repository[DealerGroup]):
    table = DealerGroupRow.__table__
    aggregate = DealerGroup
    store_scoped = False
    id_field = "dealer_group_id"

    def columns(self, g: DealerGroup) -> dict:
        return {"name": g.name}


class Stores(Repository[Store]):
    table = StoreRow.__table__
    aggregate = Store
    id_field = "store_id"
    # Every user of the group may read the group's stores (names, hours); changing them is the admin's.
    store_scoped = False
    real_store = False  # the store itself: stores are opened here, the other services learn of them

    def columns(self, s: Store) -> dict:
        return {"name": s.name}

    async def ids(self) -> list[str]:
        t = self.table
        q = select(t.c.id).where(t.c.dealer_group_id == self.uow.actor.dealer_group_id)
        return list((await self.uow.session.execute(q)).scalars())


class Users(Repository[User]):
    table = UserRow.__table__
    aggregate = User
    store_scoped = False  # scoped by the domain rule (User.check_managed_by), a user has several stores
    id_field = "user_id"

    def columns(self, u: User) -> dict:
        return {"display_name": u.display_name, "roles": u.roles, "store_ids": u.store_ids, "active": u.active}

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self.uow.session.execute(update(self.table).where(self.table.c.id == user_id)
                                       .values(password_hash=password_hash))
