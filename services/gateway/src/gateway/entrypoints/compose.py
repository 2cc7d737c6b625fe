"""Composed queries: several services asked at once, each with its own timeout.

One way to compose (every composed route uses it): `compose(client, calls, timeout)` sends every call
concurrently with the caller's headers and waits at most `timeout` seconds for each. A service that is
down, times out or fails (5xx) is named in `unavailable` and its part is missing: the answer still comes,
marked partial. The caller's refusals are the whole query's: a 401 or 403 from any service (a store
outside the caller's scope, which names the field at fault) is the answer's, and so is a 404 from a
call marked `required` (the record the query is about). A 404 from any other call is an empty part, not a
missing one. A role refusal (403 naming no field) of an optional call leaves its part null and names it in
`withheld`: an advisor still sees the order's status without the warranty claims they may not read.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import HTTPException

log = logging.getLogger(__name__)

_PROPAGATED = (401, 403)


@dataclass(frozen=True)
class Call:
    """One GET of a composed query: `name` keys its result and names it when unavailable."""

    name: str
    url: str
    params: dict[str, Any] | None = None
    required: bool = False
    """A 404 of this call is a 404 of the whole query (the record the query is about)."""
    service: str = ""
    """The service asked, named in `unavailable`/`withheld` (default `name`): one service may answer several
    calls of a query, each keyed by its own name."""

    @property
    def named(self) -> str:
        return self.service or self.name


@dataclass
class Composed:
    """The parts that answered (None for a 404 of an optional call) and the names of those that did not."""

    parts: dict[str, Any] = field(default_factory=dict)
    unavailable: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return bool(self.unavailable)

    def get(self, name: str) -> Any:
        return self.parts.get(name)

    def missing(self, names: list[str], call: Call) -> None:
        if call.named not in names:
            names.append(call.named)
        self.parts[call.name] = None

    def merge(self, more: Composed) -> Composed:
        """A later round of the same query: its parts join these, its missing services too (named once)."""
        self.parts.update(more.parts)
        self.unavailable += [s for s in more.unavailable if s not in self.unavailable]
        self.withheld += [s for s in more.withheld if s not in self.withheld]
        return self


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _role_refusal(response: httpx.Response) -> bool:
    """A 403 for the caller's roles names no field; one for a store outside their scope names it."""
    return response.status_code == 403 and not _body(response).get("field")


async def _one(client: httpx.AsyncClient, call: Call, headers: dict[str, str], timeout: float) -> httpx.Response:
    return await asyncio.wait_for(client.get(call.url, params=call.params, headers=headers), timeout)


async def compose(client: httpx.AsyncClient, calls: list[Call], headers: dict[str, str],
                  timeout: float) -> Composed:
    """Send `calls` concurrently, each given at most `timeout` seconds; see the module's docstring."""
    results = await asyncio.gather(*(_one(client, c, headers, timeout) for c in calls), return_exceptions=True)
    out = Composed()
    refusals: list[tuple[int, str]] = []
    for call, res in zip(calls, results, strict=True):
        if isinstance(res, BaseException):
            if not isinstance(res, (httpx.HTTPError, TimeoutError, OSError)):
                raise res
            log.warning("composed query: %s did not answer: %s", call.name, type(res).__name__)
            out.missing(out.unavailable, call)
        elif _role_refusal(res) and not call.required:
            out.missing(out.withheld, call)
        elif res.status_code in _PROPAGATED or (res.status_code == 404 and call.required):
            refusals.append((res.status_code, f"{call.name}: {_body(res).get('detail', res.reason_phrase)}"))
        elif res.status_code == 404:
            out.parts[call.name] = None
        elif res.status_code >= 400 or not res.headers.get("content-type", "").startswith("application/json"):
            log.warning("composed query: %s answered %s", call.name, res.status_code)
            out.missing(out.unavailable, call)
        else:
            out.parts[call.name] = res.json()
    if refusals:  # the most fundamental refusal wins: no token, then out of scope, then no such record
        status, detail = min(refusals, key=lambda r: (_PROPAGATED + (404,)).index(r[0]))
        raise HTTPException(status, detail=detail)
    return out
