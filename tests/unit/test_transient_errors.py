"""The consumer waits out connection trouble (never dead-letters it) and retries everything else."""

from __future__ import annotations

import pytest
from asyncpg import exceptions as pg_exc
from shared.messaging.consumer import is_transient
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi


def wrapped(error: BaseException, sa_class=sa_exc.DBAPIError, adapted=AsyncAdapt_asyncpg_dbapi.Error,
            invalidated: bool = False) -> BaseException:
    """As SQLAlchemy raises an asyncpg error: its DBAPIError around the dialect's adapted exception
    (`.orig`), raised from asyncpg's own (`__cause__`)."""
    orig = adapted(f"{type(error)}: {error}")
    orig.__cause__ = error
    e = sa_class("INSERT ...", {}, orig, connection_invalidated=invalidated)
    e.__cause__ = orig
    return e


@pytest.mark.parametrize("error", [
    pg_exc.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    pg_exc.ConnectionFailureError("connection failure"),
    pg_exc.InterfaceError("cannot perform operation: connection is closed"),
    pg_exc.CannotConnectNowError("the database system is starting up"),
    pg_exc.AdminShutdownError("terminating connection due to administrator command"),
    pg_exc.TooManyConnectionsError("too many clients already"),
], ids=lambda e: type(e).__name__)
def test_asyncpg_connection_errors_are_transient_bare_and_wrapped_by_sqlalchemy(error):
    assert is_transient(error)
    assert is_transient(wrapped(error))
    adapted = AsyncAdapt_asyncpg_dbapi.InterfaceError
    assert is_transient(wrapped(error, sa_class=sa_exc.InterfaceError, adapted=adapted))


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "refused"),
    ConnectionResetError(104, "reset"),
    TimeoutError(),
    sa_exc.TimeoutError("QueuePool limit reached, connection timed out"),
    sa_exc.DisconnectionError("gone"),
    sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")),
    wrapped(pg_exc.PostgresError("whatever"), invalidated=True),  # SQLAlchemy saw the connection die
], ids=lambda e: type(e).__name__)
def test_network_pool_and_invalidated_connection_errors_are_transient(error):
    assert is_transient(error)


class InterfaceError(Exception):
    """Only the name of a connection error: a name is no longer enough."""


@pytest.mark.parametrize("error", [
    RuntimeError("handler refuses boom"),
    ValueError("bad data"),
    pg_exc.UniqueViolationError("duplicate key value violates unique constraint"),
    wrapped(pg_exc.UniqueViolationError("duplicate key"), sa_class=sa_exc.IntegrityError),
    wrapped(pg_exc.CheckViolationError("check"), sa_class=sa_exc.IntegrityError),
    wrapped(pg_exc.UndefinedTableError("relation does not exist"), sa_class=sa_exc.ProgrammingError),
    InterfaceError("look-alike"),
], ids=lambda e: type(e).__name__)
def test_failing_rules_and_bad_data_are_not_transient(error):
    assert not is_transient(error)


def test_a_cause_chain_with_a_cycle_ends():
    a, b = RuntimeError("a"), RuntimeError("b")
    a.__cause__, b.__cause__ = b, a
    assert not is_transient(a)
