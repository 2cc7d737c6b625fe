"""`Idempotency-Key` for commands: a retried POST returns the first answer and changes nothing.

The key row is written in the command's own transaction, so the answer is recorded exactly
when the change commits. A key reused with a different body is refused with 422.

While the first request with a key runs, its transaction holds a lock on the key (`claim`): a concurrent
retry does not run the command a second time (where the first one's uncommitted change would make it a
business refusal, or the rule would pass twice) but is answered 409 `IdempotencyInProgress` with
`Retry-After`; once the first commits, a retry gets its recorded answer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from .errors import Conflict, DomainError
from .plumbing_tables import idempotency_table

# A transaction-scoped advisory lock on the (principal, key) pair: released by the commit or rollback itself.
_TRY_LOCK_KEY = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:principal || ' ' || :key, 0))")


class IdempotencyInProgress(Conflict):
    """Another request with this Idempotency-Key is still running: retry it shortly for its answer."""

    headers = {"Retry-After": "1"}

    def __init__(self, key: str) -> None:
        super().__init__("a request with this Idempotency-Key is still in progress; retry it shortly for its "
                         "answer", field="Idempotency-Key", key=key)


async def claim(session: AsyncSession, *, principal: str, key: str | None) -> None:
    """Hold the key for this transaction, before looking for its recorded answer (`replay`): the lock is
    taken after any earlier holder committed, so the replay that follows sees that holder's answer."""
    if key and not (await session.execute(_TRY_LOCK_KEY, {"principal": principal, "key": key})).scalar():
        raise IdempotencyInProgress(key)


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


async def replay(session: AsyncSession, *, principal: str, key: str | None, body_hash: str):
    """The recorded (status, body) for this key, or None for a first call."""
    if not key:
        return None
    t = idempotency_table()
    row = (
        await session.execute(
            select(t.c.request_hash, t.c.status_code, t.c.response).where(
                t.c.principal == principal, t.c.key == key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != body_hash:
        raise DomainError("Idempotency-Key was already used with a different request body",
                          field="Idempotency-Key")
    return row.status_code, row.response


async def remember(
    session: AsyncSession, *, principal: str, key: str | None, method: str, path: str, body_hash: str,
    status_code: int, response: Any,
) -> None:
    if not key:
        return
    t = idempotency_table()
    await session.execute(
        insert(t).values(principal=principal, key=key, method=method, path=path, request_hash=body_hash,
                         status_code=status_code, response=response)
    )
