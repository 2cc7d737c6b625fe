"""Database plumbing: one SQLModel registry per service, tenancy columns, sessions, the unit of work."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, bindparam, event, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, registry
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from .plumbing_tables import NAMING


def new_registry(*, organisation_replica: bool = True) -> registry:
    """A registry (and metadata) of a service's own: services never share tables. Every backend service
    keeps the organisation replica (shared.kit.organisation); the gateway, which owns the organisation, not."""
    from .plumbing_tables import add_audit_table, add_organisation_tables, add_plumbing_tables

    reg = registry(metadata=MetaData(naming_convention=NAMING))
    add_plumbing_tables(reg.metadata)
    add_audit_table(reg.metadata)
    if organisation_replica:
        add_organisation_tables(reg.metadata)
    return reg


def asyncpg_dsn(database_url: str) -> str:
    """The libpq-style DSN of a SQLAlchemy asyncpg URL, for asyncpg's own connections (LISTEN)."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def among(column, name: str):
    """`column IN (SELECT unnest(:name))`: the rows whose column is one of a list bound as one array (ids).
    Not `column = ANY(:name)`: in a prepared statement's generic plan PostgreSQL takes the array for ten
    elements and, on a table without statistics yet (a new database) up to thousands of rows, scans it and
    compares every row with every element: 7 ms for 100 repair orders among 4,000 visits, 40 ms among 8,000,
    growing with the table until the next ANALYZE. This form joins the list to the table's index (0.2 ms)."""
    return column.in_(select(func.unnest(bindparam(name, type_=ARRAY(String)))))


def utcnow() -> datetime:
    return datetime.now(UTC)


def tz_column(nullable: bool = False, index: bool = False) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


class TenantColumns(SQLModel):
    """Every business row belongs to a dealer group and a store."""

    dealer_group_id: str = Field(index=True, max_length=64)
    store_id: str = Field(index=True, max_length=64)


class VehicleColumns(SQLModel):
    """A vehicle's facts as table columns (see shared.contracts.crm.VehicleFacts): crm's vehicles, and the
    replicas other services keep of them."""

    vin: str = Field(sa_type=String(17), index=True)
    plate: str | None = Field(default=None, max_length=20, index=True)
    model: str | None = Field(default=None, max_length=100)
    owner_customer_id: str = Field(index=True, max_length=64)
    sale_date: date | None = None
    warranty_start: date | None = None
    warranty_years: int | None = None
    warranty_km: int | None = None
    odometer_km: int | None = None
    insurance_expiry: date | None = None
    warranty_prewarning: bool = False


# A pooled connection idle longer than this is pinged before use (a database restart or an idle timeout may
# have closed it); one used more recently is not. SQLAlchemy's `pool_pre_ping` pings on every checkout, and
# on asyncpg its ping is three round trips (BEGIN, ";", ROLLBACK): on the event hop (the relay's round, the
# consumer's batch) and on every command that was six of about fifteen round trips. A connection closed within
# the window fails its first statement: a consumer retries that as transient, the relay retries its round.
PING_IF_IDLE_SECONDS = 2.0
_LAST_USED = "shared.db.last_used"


def make_engine(database_url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(database_url, pool_size=pool_size, max_overflow=10)
    pool_events = engine.sync_engine.pool
    event.listen(pool_events, "connect", _used)
    event.listen(pool_events, "checkin", _used)
    event.listen(pool_events, "checkout", _ping_if_idle)
    return engine


def _used(dbapi_connection, record, *_) -> None:
    record.info[_LAST_USED] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, proxy) -> None:
    if time.monotonic() - record.info.get(_LAST_USED, 0.0) <= PING_IF_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as e:  # the pool drops this connection and checks out another (or a new one)
        raise DisconnectionError(f"pooled connection is gone: {e!r}") from e
    record.info[_LAST_USED] = time.monotonic()


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: the change and its outbox rows commit together, or neither does.

    Repositories and handlers never commit; this does, once, at the end.
    """
    async with factory() as session:
        async with session.begin():
            yield session


# -- writes held for one executemany (a consumer batch's replica rows) ---------------------------------
_DEFER = "shared.db.defer"  # session.info: hold update-upserts of this session's transaction
_HELD = "shared.db.held"  # connection.info: [(statement, params)] not sent yet


def defer_writes(session) -> None:
    """Let this session's transaction hold writes nothing waits on (`hold_write`) until the next other
    statement on its connection or the commit, then send each run of one statement as one executemany."""
    session.info[_DEFER] = True


def _send_held(conn: Connection) -> None:
    held = conn.info.pop(_HELD, None)
    while held:
        stmt, run = held[0][0], []
        while held and held[0][0] is stmt:
            run.append(held.pop(0)[1])
        conn.execute(stmt, run)


@event.listens_for(Engine, "before_execute")
def _before_execute(conn, clauseelement, multiparams, params, execution_options):
    if _HELD in conn.info:
        _send_held(conn)


@event.listens_for(Engine, "rollback")
@event.listens_for(Engine, "rollback_savepoint")
def _forget_held(conn, *args) -> None:
    conn.info.pop(_HELD, None)


@event.listens_for(Session, "before_commit")
def _send_before_commit(session: Session) -> None:
    if session.info.pop(_DEFER, None):
        _send_held(session.connection())


async def hold_write(session, statement, params: dict) -> bool:
    """Hold the write when the session defers writes (True), else leave it to the caller (False)."""
    if not session.info.get(_DEFER):
        return False
    conn = (await session.connection()).sync_connection
    conn.info.setdefault(_HELD, []).append((statement, params))
    return True


# -- rows by COPY (a consumer batch's new records, audit and outbox rows) ---------------------------------
async def copy_rows(session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Plain inserts of `rows` into `table` as one binary COPY in the session's transaction: about half of
    PostgreSQL's time for the same rows as an executemany of INSERTs (no statement per row to bind and plan;
    measured on crm's follow-ups, audit and outbox rows), and no SQLAlchemy parameter processing. No ON
    CONFLICT: a duplicate key fails the statement as the INSERT would. The rows have the first row's keys;
    columns left out get their SQLAlchemy scalar default, else the server's. Insert triggers fire as for an
    INSERT (the outbox's NOTIFY)."""
    if not rows:
        return
    names = list(rows[0])
    given = set(names)
    defaults = {c.name: c.default.arg for c in table.columns
                if c.name not in given and c.default is not None and c.default.is_scalar}
    if any(c.default is not None and not c.default.is_scalar for c in table.columns if c.name not in given):
        await session.execute(insert(table), rows)  # a Python-computed default: SQLAlchemy's insert knows it
        return
    encode = [_json_bind(table.c[n].type) for n in names]
    tail = tuple(defaults.values())
    records = [tuple(v if f is None else f(v) for f, v in zip(encode, map(row.__getitem__, names), strict=True))
               + tail for row in rows]
    conn = await session.connection()
    if _HELD in conn.sync_connection.info:  # held writes go first, as before any other statement
        await conn.run_sync(_send_held)
    raw = await conn.get_raw_connection()
    if not getattr(raw.dbapi_connection, "_started", False):  # SQLAlchemy's asyncpg adapter begins the
        await conn.exec_driver_sql("SELECT 1")  # transaction at its first statement: not before the COPY
    await raw.driver_connection.copy_records_to_table(table.name, schema_name=table.schema, records=records,
                                                      columns=[*names, *defaults])


def _json_bind(type_) -> Any:
    """How SQLAlchemy binds a JSON column's value on asyncpg (serialised text; None as JSON null unless the
    column stores SQL NULL), or None for a column of another type (asyncpg binds it as it is)."""
    if not isinstance(type_, JSON):
        return None
    return (lambda v: None if v is None else json.dumps(v)) if type_.none_as_null else json.dumps
