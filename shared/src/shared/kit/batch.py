"""What a batch handler writes (`EventHandlers.on_batch`), held and sent at the end: one executemany per
statement instead of a round trip per row, and the plain inserts of new records, their audit rows and the
outbox rows as one COPY per table (`shared.db.copy_rows`).

    writes = BatchWrites(items[0][0].session)
    for uow, e in items:
        follow_up = FollowUp.schedule(...)               # domain code, as in a one-event handler
        writes.insert(uow, uow0.repo(FollowUps), follow_up)   # row, audit row, outbox rows of its events
    await writes.send()

Statements (and tables copied into) go in the order they were first used, each one's rows in the order they
were added; nothing the batch reads may depend on a held write (load first, decide in memory, write last).
`update` writes without reading the row count: only for aggregates the batch loaded locked
(`Repository.find_many(lock=True)`), which nobody else can change meanwhile.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table

from shared.db import copy_rows
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import INSERT_OUTBOX

from . import audit
from .aggregate import Aggregate
from .repository import Repository
from .uow import UnitOfWork


class BatchWrites:
    def __init__(self, session: Any) -> None:
        self.session = session
        self.held: dict[Any, list[dict[str, Any]]] = {}
        self.envelopes: list[Envelope] = []
        self._outbox = None

    def add(self, statement: Any, row: dict[str, Any]) -> None:
        """A row of `statement` (an executemany of it), or of a `Table` (a plain insert: one COPY)."""
        self.held.setdefault(statement, []).append(row)

    def insert(self, uow: UnitOfWork, repo: Repository, agg: Aggregate, **insert_only: Any) -> None:
        """As `repo.add` (no store check: a consumer's records are never refused for their store)."""
        doc = agg.model_dump(mode="json")
        self.add(repo.table, {**repo.row_values(agg, doc), **insert_only})
        self.written(uow, repo, agg, doc)

    def update(self, uow: UnitOfWork, repo: Repository, agg: Aggregate) -> None:
        """As `repo.save` of an aggregate the batch loaded locked through `repo`."""
        doc = agg.model_dump(mode="json")
        values = repo.row_values(agg, doc)
        del values["id"]
        self.add(repo._stmt("update"), {"_id": agg.id, "_loaded": repo._docs[agg.id]["version"], **values})
        self.written(uow, repo, agg, doc)

    def written(self, uow: UnitOfWork, repo: Repository, agg: Aggregate, doc: dict[str, Any]) -> None:
        """The audit row of a change written (or held) by other means, and the outbox rows of its events."""
        row = audit.entry(uow, aggregate_type=repo.aggregate_type, before=repo._docs.get(agg.id), after=doc)
        if row is not None:
            self.add(audit.RECORD.table, row)
        repo._docs[agg.id] = doc
        envs, rows = uow.outbox_rows(agg)
        for r in rows:
            self.add(INSERT_OUTBOX.table, r)
        self.envelopes += envs
        self._outbox = self._outbox or uow.outbox

    async def send(self) -> None:
        for statement, rows in self.held.items():
            if isinstance(statement, Table):
                await copy_rows(self.session, statement, rows)
            else:
                await self.session.execute(statement, rows)
        self.held = {}
        if self._outbox is not None and self.envelopes:
            self._outbox.count_on_commit(self.session, self.envelopes)
        self.envelopes = []
