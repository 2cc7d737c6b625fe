"""`Idempotency-Key` for commands: a retried POST returns the first answer and changes nothing.

The key row is written in the command's own transaction, so the answer is recorded exactly
when the change commits. A key reused with a different body is refused with 422.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from .errors import DomainError
from .plumbing_tables import idempotency_table


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
