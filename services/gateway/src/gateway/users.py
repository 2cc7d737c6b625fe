"""Manage gateway users from the command line: `python -m gateway.users add NAME --roles advisor ...`."""

from __future__ import annotations

import argparse
import asyncio

from shared.db import make_engine, utcnow
from sqlalchemy.dialects.postgresql import insert

from .adapters.orm import UserRow
from .config import Settings
from .domain.passwords import hash_password
from .domain.users import check_user_scope


async def upsert_users(database_url: str, users: list[dict]) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            for u in users:
                check_user_scope(u["roles"], u.get("store_ids", []))
                values = dict(username=u["username"], display_name=u.get("display_name", u["username"]),
                              password_hash=hash_password(u["password"]), dealer_group_id=u["dealer_group_id"],
                              roles=list(u["roles"]), store_ids=list(u.get("store_ids", [])), active=True,
                              created_at=utcnow())
                stmt = insert(UserRow).values(**values)
                keep = ("username", "created_at")
                await conn.execute(stmt.on_conflict_do_update(
                    index_elements=["username"], set_={k: stmt.excluded[k] for k in values if k not in keep}))
    finally:
        await engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add")
    add.add_argument("username")
    add.add_argument("--password", required=True)
    add.add_argument("--group", required=True)
    add.add_argument("--roles", nargs="+", required=True)
    add.add_argument("--stores", nargs="*", default=[])
    add.add_argument("--name")
    a = p.parse_args()
    asyncio.run(upsert_users(Settings().database_url, [dict(
        username=a.username, password=a.password, dealer_group_id=a.group, roles=a.roles, store_ids=a.stores,
        display_name=a.name or a.username)]))


if __name__ == "__main__":
    main()
