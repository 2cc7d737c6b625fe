"""Repositories: load an aggregate with a row lock, save it with the version check, its events to the outbox.

One storage style for every service: the aggregate is stored whole as JSONB in a `doc` column,
and the few columns that queries filter or sort by are projected beside it by `columns()`,
written by the same statement. (Why, and the alternative we dropped: docs/architecture.md,
"Storing aggregates".) Statements are built once per repository class: SQLAlchemy caches their
compiled form, so the write path does not recompile SQL per call.

Worked example::

    class Tickets(Repository[Ticket]):
        table = TicketRow.__table__   # id, dealer_group_id, store_id, version, doc, state
        aggregate = Ticket

        def columns(self, t: Ticket) -> dict:
            return {"state": t.state.value}

    async def close_ticket(uow: UnitOfWork, cmd: CloseTicket) -> Ticket:
        ticket = await uow.repo(Tickets).get(cmd.ticket_id)   # locked; 404 / 403 for other tenants
        ticket.check_version(cmd.version)
        ticket.close()
        await uow.repo(Tickets).save(ticket)                   # version-checked; events -> outbox
        return ticket
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy import Table, bindparam, insert, select, update

from shared.db import among
from shared.errors import Conflict, NotFound

from .aggregate import Aggregate
from .pages import PageRequest, keyset_after, typed_key

if TYPE_CHECKING:
    from .uow import UnitOfWork

A = TypeVar("A", bound=Aggregate)

_TENANT = ("id", "dealer_group_id", "store_id", "version", "doc")


class Repository(Generic[A]):
    """Stores one aggregate type in one table. Never commits: the unit of work does."""

    table: ClassVar[Table]
    aggregate: ClassVar[type[Aggregate]]
    # Group records (customers, vehicles) are read and changed from any store of the group.
    store_scoped: ClassVar[bool] = True
    # The field named in a 404 ("repair_order_id").
    id_field: ClassVar[str] = "id"
    # The record's store_id names a store of the group, which a person's new record must be one the service
    # knows (UnitOfWork.check_store_known); False for records whose store_id is only a label (a group's
    # suppliers). Group records with an empty store_id are never checked.
    real_store: ClassVar[bool] = True

    _statements: ClassVar[dict[type, dict[str, Any]]] = {}

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        # Each aggregate as loaded or last written: its version is the one `save` checks against, and the
        # audit trail records what changed since.
        self._docs: dict[str, dict] = {}

    # -- what is stored ----------------------------------------------------------------------
    def columns(self, agg: A) -> dict[str, Any]:
        """The projected query columns besides id, tenant, version and doc."""
        return {}

    def row_values(self, agg: A, doc: dict[str, Any]) -> dict[str, Any]:
        return {"id": agg.id, "dealer_group_id": agg.dealer_group_id, "store_id": agg.store_id,
                "version": agg.version, "doc": doc, **self.columns(agg)}

    def from_doc(self, doc: dict[str, Any]) -> A:
        agg = self.aggregate.model_validate(doc)
        self._docs[agg.id] = doc
        return agg  # type: ignore[return-value]

    @property
    def aggregate_type(self) -> str:
        return self.table.name

    @classmethod
    def _stmt(cls, name: str):
        if cls not in Repository._statements:
            t = cls.table
            get = select(t.c.doc, t.c.dealer_group_id, t.c.store_id).where(t.c.id == bindparam("id"))
            many = select(t.c.doc).where(among(t.c.id, "ids")).order_by(t.c.id)
            Repository._statements[cls] = {
                "get": get, "get_locked": get.with_for_update(), "insert": insert(t),
                "many": many, "many_locked": many.with_for_update(),
                "update": update(t).where(t.c.id == bindparam("_id"), t.c.version == bindparam("_loaded")),
            }
        return Repository._statements[cls][name]

    # -- loading -----------------------------------------------------------------------------
    async def find(self, id: str, *, lock: bool = True) -> A | None:
        """The aggregate of the caller's dealer group, or None (another group's is not there for it)."""
        row = (await self.uow.session.execute(self._stmt("get_locked" if lock else "get"), {"id": id})).first()
        if row is None or row.dealer_group_id != self.uow.actor.dealer_group_id:
            return None
        return self.from_doc(row.doc)

    async def find_many(self, ids, *, lock: bool = False) -> dict[str, A]:
        """The aggregates of these ids in one query, by id, of any dealer group: a batch handler checks each
        against its own event's group. With `lock`, locked in id order (two batches never wait on each other
        in a circle)."""
        ids = sorted(set(ids))
        if not ids:
            return {}
        rows = await self.uow.session.execute(self._stmt("many_locked" if lock else "many"), {"ids": ids})
        return {agg.id: agg for agg in map(self.from_doc, rows.scalars())}

    async def get(self, id: str, *, lock: bool = True) -> A:
        """Load for a command (locked) or a query: 404 outside the caller's group, 403 outside its stores."""
        agg = await self.find(id, lock=lock)
        if agg is None:
            raise NotFound(f"{self.aggregate.kind} {id} not found", field=self.id_field)
        if self.store_scoped:
            self.uow.actor.check_store(agg.store_id)
        return agg

    async def list(self, *where, order_by=(), limit: int | None = None, store_id: str | None = None,
                   page: PageRequest | None = None, keep: Callable[[A], bool] | None = None) -> list[A]:
        """Aggregates of the caller's group matching `where`, within the caller's stores (or `store_id`).

        With `page` (a list route's `Page`), one page in the order of `order_by` then id, after the page's
        cursor, the next page announced on the response. `keep` filters what SQL cannot (a rule of the
        domain): pages are still full, the kit reads on until it has them."""
        t = self.table
        q = select(t.c.doc).where(t.c.dealer_group_id == self.uow.actor.dealer_group_id, *where,
                                  *self.store_scope(store_id))
        if page is not None:
            return await self._page(q, order_by, page, keep)
        q = q.order_by(*order_by) if order_by else q
        q = q.limit(limit) if limit else q
        found = [self.from_doc(doc) for doc in (await self.uow.session.execute(q)).scalars()]
        return found if keep is None else [a for a in found if keep(a)]

    def sort_key(self, order_by) -> list:
        """The keyset of a list: its sort columns, then the id (unique, so the order is total)."""
        key = [self.table.c[getattr(c, "key", None) or str(c)] for c in order_by]
        return key if key and key[-1] is self.table.c.id else [*key, self.table.c.id]

    async def _page(self, q, order_by, page: PageRequest, keep: Callable[[A], bool] | None) -> list[A]:
        key = self.sort_key(order_by)
        q = q.add_columns(*key).order_by(*key).limit(page.limit + 1)
        after, kept = (typed_key(key, page.after) if page.after is not None else None), []
        while len(kept) <= page.limit:
            rows = (await self.uow.session.execute(
                q.where(keyset_after(key, after)) if after is not None else q)).all()
            for row in rows:
                agg = self.from_doc(row[0])
                if keep is None or keep(agg):
                    kept.append((agg, list(row[1:])))
                    if len(kept) > page.limit:
                        break
            if len(rows) <= page.limit:
                break
            after = list(rows[-1][1:])
        if len(kept) > page.limit:
            kept = kept[:page.limit]
            page.has_more(kept[-1][1])
        return [agg for agg, _ in kept]

    def store_scope(self, store_id: str | None) -> list:
        """Where-clauses keeping a list inside the caller's stores (all of them for group records)."""
        t = self.table
        if store_id:
            self.uow.actor.check_store(store_id)
            return [t.c.store_id == store_id]
        if self.store_scoped and not self.uow.actor.spans_group:
            return [t.c.store_id.in_(sorted(self.uow.actor.store_ids))]
        return []

    # -- saving ------------------------------------------------------------------------------
    async def add(self, agg: A, **insert_only: Any) -> None:
        """A new aggregate; `insert_only` columns (who created it) are written once. A person's new record
        must be for a store the service knows (422 naming store_id)."""
        if self.real_store:
            await self.uow.check_store_known(agg.store_id)
        doc = agg.model_dump(mode="json")
        await self._insert(agg, doc, insert_only)
        await self._written(agg, doc)

    async def save(self, agg: A) -> None:
        """Write the aggregate back if nobody changed it since it was loaded (else 409), then its audit row
        and its events, all in the same transaction."""
        if agg.id not in self._docs:
            await self.add(agg)
            return
        doc = agg.model_dump(mode="json")
        if not await self._update_if_unchanged(agg, doc, self._docs[agg.id]["version"]):
            raise Conflict(f"{self.aggregate.kind} {agg.id} was changed by someone else; reload and retry",
                           field="version")
        await self._written(agg, doc)

    async def _written(self, agg: A, doc: dict[str, Any]) -> None:
        await self.uow.audit(self.aggregate_type, self._docs.get(agg.id), doc)
        self._docs[agg.id] = doc
        await self.uow.collect(agg)

    # -- storage (the SQL table; the in-memory repository keeps a dict) ---------------------
    async def _insert(self, agg: A, doc: dict[str, Any], insert_only: dict[str, Any]) -> None:
        await self.uow.session.execute(self._stmt("insert"), {**self.row_values(agg, doc), **insert_only})

    async def _update_if_unchanged(self, agg: A, doc: dict[str, Any], loaded_version: int) -> bool:
        values = self.row_values(agg, doc)
        del values["id"]
        result = await self.uow.session.execute(self._stmt("update"),
                                                {"_id": agg.id, "_loaded": loaded_version, **values})
        return result.rowcount == 1


class InMemoryRepository(Repository[A]):
    """The same contract on a dict, for handler tests without PostgreSQL (the cosmicpython way)."""

    def __init__(self, uow: UnitOfWork, of: type[Repository[A]], store: dict[str, dict]) -> None:
        super().__init__(uow)
        self.of = of
        self.aggregate = of.aggregate  # type: ignore[misc]
        self.store_scoped = of.store_scoped  # type: ignore[misc]
        self.id_field = of.id_field  # type: ignore[misc]
        self.real_store = of.real_store  # type: ignore[misc]
        self.rows = store

    async def find(self, id: str, *, lock: bool = True) -> A | None:
        doc = self.rows.get(id)
        if doc is None or doc["dealer_group_id"] != self.uow.actor.dealer_group_id:
            return None
        return self.from_doc(copy.deepcopy(doc))

    async def list(self, *where, order_by=(), limit: int | None = None, store_id: str | None = None,
                   page: PageRequest | None = None, keep: Callable[[A], bool] | None = None) -> list[A]:
        if where or order_by:
            raise NotImplementedError("SQL filters need the SQL repository")
        docs = [d for d in self.rows.values() if d["dealer_group_id"] == self.uow.actor.dealer_group_id]
        if store_id:
            self.uow.actor.check_store(store_id)
        scope = {store_id} if store_id else (None if self.uow.actor.spans_group or not self.store_scoped
                                             else self.uow.actor.store_ids)
        docs = [d for d in docs if scope is None or d["store_id"] in scope]
        found = [self.from_doc(copy.deepcopy(d)) for d in docs]
        found = [a for a in found if keep is None or keep(a)]
        if page is None:
            return found[:limit]
        # By id, as the SQL repository orders a list without `order_by`.
        found = sorted((a for a in found if page.after is None or a.id > page.after[-1]), key=lambda a: a.id)
        if len(found) > page.limit:
            page.has_more([found[page.limit - 1].id])
        return found[:page.limit]

    @property
    def aggregate_type(self) -> str:
        return self.of.table.name if hasattr(self.of, "table") else self.of.__name__

    async def _insert(self, agg: A, doc: dict[str, Any], insert_only: dict[str, Any]) -> None:
        if agg.id in self.rows:
            raise Conflict(f"{self.aggregate.kind} {agg.id} exists")
        self.rows[agg.id] = doc

    async def _update_if_unchanged(self, agg: A, doc: dict[str, Any], loaded_version: int) -> bool:
        if self.rows[agg.id]["version"] != loaded_version:
            return False
        self.rows[agg.id] = doc
        return True
