"""The first administrator, from the command line (later users: the /org/users API).

    python -m gateway.users group dg-1 --name "沪东汽车集团"
    python -m gateway.users add admin --password ... --group dg-1 --roles group_admin
"""

from __future__ import annotations

import argparse
import asyncio

from shared.db import make_engine, utcnow
from sqlalchemy.dialects.postgresql import insert

from .adapters.orm import DealerGroupRow, UserRow
from .config import Settings
from .domain.organisation import DealerGroup
from .domain.passwords import hash_password
from .domain.users import User


async def upsert_users(database_url: str, users: list[dict]) -> None:
    """Create or replace users (roles, stores, password). Stores are not checked against the group's
    store records here: this is the bootstrap path, before any store exists."""
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            for u in users:
                user = User.create(username=u["username"], dealer_group_id=u["dealer_group_id"],
                                   display_name=u.get("display_name", u["username"]), roles=list(u["roles"]),
                                   store_ids=list(u.get("store_ids", [])))
                values = dict(id=user.id, display_name=user.display_name, password_hash=hash_password(u["password"]),
                              dealer_group_id=user.dealer_group_id, store_id="", roles=user.roles,
                              store_ids=user.store_ids, active=True, version=1,
                              doc=user.model_dump(mode="json"), created_at=utcnow())
                stmt = insert(UserRow).values(**values)
                keep = ("id", "created_at", "version", "doc")
                set_ = {k: stmt.excluded[k] for k in values if k not in keep}
                # a replaced user is a new version of the record
                set_["version"] = UserRow.__table__.c.version + 1
                set_["doc"] = _doc_with_version(stmt)
                await conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=set_))
    finally:
        await engine.dispose()


def _doc_with_version(stmt):
    from sqlalchemy import func, literal
    from sqlalchemy.dialects.postgresql import ARRAY, TEXT

    return func.jsonb_set(stmt.excluded.doc, literal(["version"], ARRAY(TEXT)),
                          func.to_jsonb(UserRow.__table__.c.version + 1))


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
