"""Unique test data and waiting for eventual consistency: one copy for every test folder."""

from __future__ import annotations

import asyncio
import uuid

from shared.vin import with_check_digit


def new_vin() -> str:
    """A valid Chinese VIN (check digit right), different every call."""
    raw = "LSV" + uuid.uuid4().hex[:14].upper()
    return with_check_digit(raw.replace("I", "J").replace("O", "P").replace("Q", "R"))


def new_phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


STORES: set[str] = set()
"""Every store id a test made or named in a token: the test clients register them in each service's store
replica (tests/support/fixtures.py), as the gateway's StoreOpened would."""


def new_store() -> str:
    store = f"s-{uuid.uuid4().hex[:8]}"
    STORES.add(store)
    return store


async def eventually(fn, *, timeout: float = 30.0, interval: float = 0.1):
    """Call `fn` until it returns something truthy or the timeout passes; returns the last result."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await fn()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(interval)


async def add_records(svc, group: str, *records) -> None:
    """Write aggregates as they stand straight through the running service's own repositories, in one
    transaction (their events go to its outbox): known records, dated as the test needs, for read tests.
    `records` are (repository class, aggregate) pairs, or triples with the insert-only columns (created_by)."""
    from shared.auth import Principal
    from shared.kit import UnitOfWork

    rt = svc.runtime
    async with rt.sessions() as session, session.begin():
        uow = UnitOfWork(session, outbox=rt.outbox, clock=rt.clock, settings=rt.settings,
                         actor=Principal.service(group, "test"))
        for repo, agg, *insert_only in records:
            await uow.repo(repo).add(agg, **(insert_only[0] if insert_only else {}))
