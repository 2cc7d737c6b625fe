"""Walking a paged list as a client does: follow `Link: rel="next"` until a page has none."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from shared.auth import Principal
from shared.kit import Repository, UnitOfWork

NEXT = re.compile(r'^<([^>]+)>; rel="next"$')


async def walk(client: httpx.AsyncClient, path: str, *, headers: dict[str, str], params: dict[str, Any] | None = None,
               limit: int = 2, between: Callable[[int], Awaitable[None]] | None = None) -> list[list[dict]]:
    """Every page of a list at `limit`, following each page's Link; `between(n)` runs after page n."""
    url = str(client.build_request("GET", path, params={**(params or {}), "limit": limit}).url)
    pages: list[list[dict]] = []
    while True:
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert isinstance(body, list) and len(body) <= limit, body
        pages.append(body)
        link, cursor = r.headers.get("Link"), r.headers.get("X-Next-Cursor")
        if link is None:
            assert cursor is None, "a next cursor without a Link"
            return pages
        assert len(body) == limit, "a page before the last is full"
        match = NEXT.match(link)
        assert match and cursor and f"cursor={cursor}" in match.group(1), link
        url = match.group(1)
        if between is not None:
            await between(len(pages))
        assert len(pages) < 100, "the walk does not end"


async def insert(service, repository: type[Repository], *aggregates) -> None:
    """Aggregates written through the kit's repository in one transaction of the running service, as a
    handler would (for lists whose records take several services to make)."""
    rt = service.runtime
    async with rt.sessions() as session, session.begin():
        group = aggregates[0].dealer_group_id
        uow = UnitOfWork(session, outbox=rt.outbox, clock=rt.clock, settings=service.app.state.settings,
                         actor=Principal.service(group, "test"))
        for agg in aggregates:
            await uow.repo(repository).add(agg)


def refusal(r: httpx.Response, field: str) -> bool:
    return r.status_code == 422 and (r.json().get("field") or "").split(".")[-1] == field
