"""`shared.db.copy_rows` (a consumer batch's plain inserts by COPY) on real PostgreSQL: the rows as an INSERT
would write them, in the session's transaction, after the writes it holds."""

from __future__ import annotations

import pytest_asyncio
from shared.db import copy_rows, defer_writes, hold_write, make_engine, make_session_factory
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.dialects.postgresql import JSONB

from tests.support.infra import create_database, drop_database

md = MetaData()
rows_t = Table("rows", md, Column("id", String, primary_key=True), Column("doc", JSONB, nullable=False),
               Column("maybe", JSONB(none_as_null=True), nullable=True), Column("version", Integer, default=1))
marks = Table("marks", md, Column("id", String, primary_key=True))


@pytest_asyncio.fixture
async def sessions(infra):
    name = await create_database(infra, "copyrows")
    engine = make_engine(infra.database_url(name), pool_size=2)
    async with engine.begin() as conn:
        await conn.run_sync(md.create_all)
    try:
        yield make_session_factory(engine)
    finally:
        await engine.dispose()
        await drop_database(infra, name)


async def test_copied_rows_read_back_as_inserted_ones_with_json_nulls_and_defaults(sessions):
    async with sessions() as s, s.begin():
        await copy_rows(s, rows_t, [{"id": "a", "doc": {"名": "客户", "n": [1, None]}, "maybe": None},
                                    {"id": "b", "doc": None, "maybe": {"k": 2}}])
    async with sessions() as s:
        got = {r.id: r for r in await s.execute(select(rows_t).order_by(rows_t.c.id))}
        nulls = dict((await s.execute(select(rows_t.c.id, rows_t.c.doc.is_(None)))).all())
    assert got["a"].doc == {"名": "客户", "n": [1, None]} and got["a"].maybe is None and got["a"].version == 1
    assert got["b"].doc is None and not nulls["b"]  # JSON null, as SQLAlchemy binds None for a JSONB column
    assert got["b"].maybe == {"k": 2}


async def test_a_copy_first_in_its_transaction_rolls_back_with_it(sessions):
    async with sessions() as s:
        async with s.begin():
            await copy_rows(s, rows_t, [{"id": "c", "doc": {}}])
            await s.rollback()
    async with sessions() as s:
        assert (await s.execute(select(rows_t.c.id))).all() == []


async def test_writes_held_before_a_copy_are_sent_first_and_a_duplicate_fails_the_copy(sessions):
    async with sessions() as s, s.begin():
        defer_writes(s)
        assert await hold_write(s, insert(marks), {"id": "held"})
        await copy_rows(s, rows_t, [{"id": "d", "doc": {}}])
        assert (await s.execute(select(marks.c.id))).scalars().all() == ["held"]
    async with sessions() as s:
        try:
            async with s.begin():
                await copy_rows(s, rows_t, [{"id": "e", "doc": {}}, {"id": "d", "doc": {}}])
        except Exception as e:  # the whole COPY, as an INSERT of a taken key
            assert "duplicate key" in str(e)
        else:
            raise AssertionError("a duplicate key was copied")
        assert (await s.execute(select(rows_t.c.id).order_by(rows_t.c.id))).scalars().all() == ["d"]
