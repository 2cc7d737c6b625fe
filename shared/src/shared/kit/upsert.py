"""Insert-or-update of a replica row, with its statement built once.

Replicas (what a service keeps of another's facts) are written by key: the newest event wins.
SQLAlchemy's PostgreSQL `insert().on_conflict_do_update()` is left out of its compiled cache,
so it would be compiled again on every event; here the SQL is written once per (table, columns)
as a `text()` statement with typed parameters, which the cache keeps.

    stock = Upsert(PartReplica, keys=("dealer_group_id", "store_id", "part_no"))
    await stock(session, {"dealer_group_id": ..., "store_id": ..., "part_no": ..., "on_hand": ...})

With `update=False` a row whose key exists is left as it is (insert once, e.g. a task per
dedupe key); the call answers whether the row was written.

Inside a consumer's batch (`shared.db.defer_writes(session)`), upserts with `update=True` (which always
write, so nothing waits on their answer) are held and sent as one executemany per run of the same
statement just before the next other statement on that connection (a read, an insert, a SAVEPOINT)
and before the commit: a replica consumer writes a batch of 100 events in one round trip instead
of 100, and every statement still sees the rows written before it, in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.dialects import postgresql

from shared.db import hold_write

_PG = postgresql.dialect()


class Upsert:
    def __init__(self, model: Any, *, keys: Iterable[str], update: bool = True) -> None:
        self.table: Table = getattr(model, "__table__", model)
        self.keys = tuple(keys)
        self.update = update
        self._built: dict[frozenset[str], Any] = {}

    def statement(self, columns: Iterable[str]):
        cols = frozenset(columns)
        stmt = self._built.get(cols)
        if stmt is None:
            binds = [bindparam(c, type_=self.table.c[c].type) for c in sorted(cols)]
            stmt = self._built[cols] = text(self._sql(cols)).bindparams(*binds)
        return stmt

    def _sql(self, cols: frozenset[str]) -> str:
        quote = _PG.identifier_preparer.quote
        names = sorted(cols)
        updates = [f"{quote(c)} = EXCLUDED.{quote(c)}" for c in names if c not in self.keys and self.update]
        action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
        return (f"INSERT INTO {_PG.identifier_preparer.format_table(self.table)} "
                f"({', '.join(quote(c) for c in names)}) VALUES ({', '.join(':' + c for c in names)}) "
                f"ON CONFLICT ({', '.join(quote(k) for k in self.keys)}) {action}")

    async def __call__(self, session, values: Mapping[str, Any]) -> bool:
        """Write the row; False when its key existed and `update=False` left it alone."""
        if self.update and await hold_write(session, self.statement(values.keys()), dict(values)):
            return True
        result = await session.execute(self.statement(values.keys()), dict(values))
        return result.rowcount != 0

    async def many(self, session, rows: list[Mapping[str, Any]]) -> None:
        """Several rows with the same columns in one round trip (executemany)."""
        if rows:
            await session.execute(self.statement(rows[0].keys()), [dict(r) for r in rows])
