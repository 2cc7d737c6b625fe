"""The audit trail of every aggregate: who changed it, when, with which command, and what changed.

The repository writes one row per saved change, in the change's own transaction (so a change is
never without its row, nor a row without its change); `history()` answers it for one aggregate.
Changes are the aggregate's stored fields that differ, by path (`jobs[2].completed`), from what
they were to what they became.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, insert, select

from shared.plumbing_tables import audit_table

# Bookkeeping the row already carries in its own columns.
NOT_CHANGES = frozenset({"version"})


def changes(before: Any, after: Any, path: str = "") -> dict[str, list[Any]]:
    """What differs between two stored documents, by path: {"jobs[2].completed": [False, True]}."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: dict[str, list[Any]] = {}
        for key in sorted(set(before) | set(after)):
            if not path and key in NOT_CHANGES:
                continue
            out.update(changes(before.get(key), after.get(key), f"{path}.{key}" if path else key))
        return out
    if isinstance(before, list) and isinstance(after, list):
        out = {}
        for i in range(max(len(before), len(after))):
            out.update(changes(before[i] if i < len(before) else None, after[i] if i < len(after) else None,
                               f"{path}[{i}]"))
        return out
    return {} if before == after else {path: [before, after]}


class AuditEntry(BaseModel):
    """One change of an aggregate (its audit trail's row)."""

    at: datetime
    version: int = Field(description="The aggregate's version after the change")
    command: str | None = Field(description="The command (or event handler) that made it")
    actor_id: str
    actor_name: str
    actor_roles: list[str]
    actor_stores: list[str] = Field(description="The stores the actor works at (none: the whole group)")
    store_id: str = Field(description="The aggregate's store")
    correlation_id: str | None
    changes: dict[str, list[Any]] = Field(description="Path → [before, after]")


_T = audit_table()
HISTORY = select(_T).where(_T.c.aggregate_type == bindparam("kind"), _T.c.aggregate_id == bindparam("id"),
                            _T.c.dealer_group_id == bindparam("dg")).order_by(_T.c.id)
RECORD = insert(_T)


async def history(uow, repository: type, aggregate_id: str) -> list[AuditEntry]:
    """The audit trail of one aggregate the caller may read (404/403 as for reading it), oldest first."""
    repo = uow.repo(repository)
    agg = await repo.get(aggregate_id, lock=False)
    return [AuditEntry.model_validate(r) for r in await uow.audit_trail(repo.aggregate_type, agg.id)]


def created(after: dict[str, Any]) -> dict[str, list[Any]]:
    """`changes({}, after)` of a new record, without the walk: each stored top-level field set, from None.
    (The walk descends only where both sides are dicts or lists, and an absent before is neither.)"""
    return {key: [None, value] for key, value in sorted(after.items()) if value is not None and key not in NOT_CHANGES}


def entry(uow, *, aggregate_type: str, before: dict | None, after: dict) -> dict[str, Any] | None:
    """The audit row of one change, or None when nothing the aggregate stores changed."""
    diff = changes(before, after) if before else created(after)
    if not diff:
        return None
    actor = uow.actor
    return {"at": uow.now(), "aggregate_type": aggregate_type, "aggregate_id": after["id"],
            "dealer_group_id": after["dealer_group_id"], "store_id": after["store_id"], "version": after["version"],
            "command": uow.command, "actor_id": actor.user_id, "actor_name": actor.name,
            "actor_roles": sorted(r.value for r in actor.roles) or (["system"] if actor.system else []),
            "actor_stores": sorted(actor.store_ids), "correlation_id": uow.correlation_id, "changes": diff}
