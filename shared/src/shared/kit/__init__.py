"""The service kit: the one pattern every service is written in (docs/new-service.md).

- `Aggregate`: id, tenant, version, raised events, `require(command)` for the state machine;
- `Repository` / `UnitOfWork`: load with a row lock, save with the version check, events to the
  outbox in the same transaction; `InMemoryUnitOfWork` for handler tests without servers;
- `Command(...)` / `Query(...)`: the route parameters that run a command or open a read;
- `Page`: the route parameter of a list (`limit`, `cursor`), handed to `Repository.list(page=...)`;
- `EventHandlers`: a consumer group's handlers, idempotent through the inbox; `BatchWrites`: what a batch
  handler (`on_batch`) writes, one executemany per statement;
- `Notifications`: handlers every instance runs for every event (no group, no inbox): refreshing pages;
- `Upsert`: a replica row written by key, its SQL built once;
- the audit trail: every saved change's row (who, when, which command, what changed), `history()`.
"""

from .aggregate import Aggregate
from .audit import AuditEntry, history
from .batch import BatchWrites
from .events import EventHandlers, Notifications
from .http import AuditReader, Command, CommandBody, CommandRunner, Query
from .pages import Page, PageRequest
from .repository import InMemoryRepository, Repository
from .uow import InMemoryUnitOfWork, UnitOfWork
from .upsert import Upsert

__all__ = [
    "Aggregate",
    "AuditEntry",
    "AuditReader",
    "BatchWrites",
    "Command",
    "CommandBody",
    "CommandRunner",
    "EventHandlers",
    "InMemoryRepository",
    "InMemoryUnitOfWork",
    "Notifications",
    "Page",
    "PageRequest",
    "Query",
    "Repository",
    "UnitOfWork",
    "Upsert",
    "history",
]
