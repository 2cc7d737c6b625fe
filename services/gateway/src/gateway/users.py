"""The first administrator, from the command line (later users: the /org/users API).

    python -m gateway.users group dg-1 --name "沪东汽车集团"
    python -m gateway.users add admin --password ... --group dg-1 --roles group_admin
"""

from __future__ import annotations

import argparse
import asyncio

from shared.auth import Principal
from shared.clock import SystemClock
from shared.db import make_engine, make_session_factory
from shared.kit import UnitOfWork
from shared.messaging.outbox import Outbox
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from .adapters.orm import DealerGroupRow, UserRow
from .adapters.repository import Users
from .config import Settings
from .domain.organisation import DealerGroup
from .domain.passwords import hash_password
from .domain.users import User


async def upsert_users(database_url: str, users: list[dict]) -> None:
    """Create or replace users (roles, stores, password) through the User aggregate and the outbox, as the
    /org/users API does: a replaced user's new roles or stores (UserAccessChanged) and a reactivation reach
    every service, so tokens with the old ones stop there too. Stores are not checked against the group's
    store records here: this is the bootstrap path, before any store exists."""
    engine = make_engine(database_url, pool_size=1)
    sessions, outbox = make_session_factory(engine), Outbox("gateway")
    try:
        for u in users:
            password_hash = await asyncio.to_thread(hash_password, u["password"])
            async with sessions() as session, session.begin():
                uow = UnitOfWork(session, outbox=outbox, clock=SystemClock(), settings=None, command="users.cli",
                                 actor=Principal.service(u["dealer_group_id"], "gateway.users"))
                await _upsert_user(uow, u, password_hash)
    finally:
        await engine.dispose()


async def _upsert_user(uow: UnitOfWork, u: dict, password_hash: str) -> None:
    users = uow.repo(Users)
    name, roles, stores = u.get("display_name", u["username"]), list(u["roles"]), list(u.get("store_ids", []))
    user = await users.find(u["username"])  # within the group
    if user is None:
        owner = await uow.session.scalar(select(UserRow.dealer_group_id).where(UserRow.id == u["username"]))
        if owner is not None:  # usernames are global: a login names no group
            raise SystemExit(f"username {u['username']} is taken by dealer group {owner}")
        user = User.create(username=u["username"], dealer_group_id=u["dealer_group_id"], display_name=name,
                           roles=roles, store_ids=stores)
        await users.add(user, password_hash=password_hash, created_at=uow.now())
        return
    user.change(display_name=name, roles=roles, store_ids=stores)
    user.reactivate()
    await users.save(user)
    await users.set_password_hash(user.id, password_hash)


async def upsert_group(database_url: str, dealer_group_id: str, name: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            group = DealerGroup.found(dealer_group_id=dealer_group_id, name=name)
            stmt = insert(DealerGroupRow).values(id=group.id, dealer_group_id=group.id, store_id="", name=name,
                                                 version=1, doc=group.model_dump(mode="json"))
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
    finally:
        await engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="create or replace a user (the first group administrator)")
    add.add_argument("username")
    add.add_argument("--password", required=True)
    add.add_argument("--group", required=True)
    add.add_argument("--roles", nargs="+", required=True)
    add.add_argument("--stores", nargs="*", default=[])
    add.add_argument("--name")
    group = sub.add_parser("group", help="create a dealer group's record")
    group.add_argument("dealer_group_id")
    group.add_argument("--name", required=True)
    a = p.parse_args()
    url = Settings().database_url
    if a.cmd == "group":
        asyncio.run(upsert_group(url, a.dealer_group_id, a.name))
        return
    asyncio.run(upsert_users(url, [dict(
        username=a.username, password=a.password, dealer_group_id=a.group, roles=a.roles, store_ids=a.stores,
        display_name=a.name or a.username)]))


if __name__ == "__main__":
    main()
