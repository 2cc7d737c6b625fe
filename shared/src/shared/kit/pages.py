"""Cursor (keyset) pagination: one route parameter, `Page`, and `Repository.list(..., page=page)`.

A list route takes `page: Page` and hands it to the repository; the kit does the rest::

    @router.get("/complaints", response_model=list[ComplaintPublic])
    async def list_complaints(uow: CareReader, page: Page, status: str | None = None):
        found = await uow.repo(Complaints).list(*where, order_by=[t.opened_at], page=page)
        return [views.complaint(uow, c) for c in found]

The body stays a JSON array (clients, the gateway's composed queries and the demo loaders read
lists as arrays); the query takes `limit` (default 100, at most 500) and `cursor`, and a page that
is not the last announces the next one in `Link: <...>; rel="next"` (RFC 8288) and `X-Next-Cursor`.

The cursor is the last record's sort key plus its id (keyset: the next page is `WHERE (key, id) >
(last)`, so records inserted meanwhile neither shift nor repeat what is still to come, and no
OFFSET is scanned). It is bound to the list: a check over the route's path and its other query
parameters is part of it, so a cursor altered, taken to another list or reused with other filters
is refused (422 naming `cursor`). The check proves integrity, not secrecy: a forged cursor could
only move the start of a list the caller may read anyway, since the tenant scope is in the query's
where-clause, not in the cursor; its values are read back by their columns' types (422 if not).
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's annotations at run time.
import base64
import binascii
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from sqlalchemy import and_, false, or_, tuple_

from shared.errors import DomainError

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
NEXT_CURSOR_HEADER = "X-Next-Cursor"
# The query parameters that move along a list rather than choose it.
PAGING_PARAMS = frozenset({"limit", "cursor"})
_CHECK_BYTES = 12


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"a sort key of type {type(value).__name__} cannot go into a cursor")


def _check(binding: str, body: bytes) -> bytes:
    return hashlib.blake2b(binding.encode() + b"\0" + body, digest_size=_CHECK_BYTES).digest()


def encode_cursor(key: list[Any], binding: str) -> str:
    """The opaque, URL-safe cursor after the record whose sort key (id last) is `key`, for the list `binding`."""
    body = json.dumps(key, separators=(",", ":"), default=_plain).encode()
    return base64.urlsafe_b64encode(_check(binding, body) + body).rstrip(b"=").decode()


def decode_cursor(cursor: str, binding: str) -> list[Any]:
    """The sort key a cursor carries; 422 naming `cursor` if it was altered or belongs to another list or filters."""
    refused = DomainError("cursor is not one this list gave (altered, or from another list or other filters); "
                          "start again without it", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise refused from None
    check, body = raw[:_CHECK_BYTES], raw[_CHECK_BYTES:]
    if len(check) < _CHECK_BYTES or check != _check(binding, body):
        raise refused
    try:
        key = json.loads(body)
    except ValueError:
        raise refused from None
    if not isinstance(key, list) or not key:
        raise refused
    return key


def _typed(column: Any, value: Any) -> Any:
    """A cursor's value as its column's type (a forged value is a 422, never an SQL error)."""
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if kind in (datetime, date, Decimal):
        if not isinstance(value, str):
            raise ValueError(value)
        typed = kind.fromisoformat(value) if kind is not Decimal else Decimal(value)
        zoned = getattr(getattr(column.type, "impl", column.type), "timezone", False)
        if kind is datetime and zoned and typed.tzinfo is None:
            raise ValueError(value)
        return typed
    if kind in (int, float, str, bool) and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
        raise ValueError(value)
    return value


def typed_key(columns: list[Any], values: list[Any]) -> list[Any]:
    """A cursor's sort key as its columns' types: 422 naming `cursor` when it does not fit them."""
    try:
        if len(values) != len(columns):
            raise ValueError(values)
        return [_typed(c, v) for c, v in zip(columns, values, strict=True)]
    except (ValueError, TypeError, ArithmeticError):
        raise DomainError("cursor does not fit this list; start again without it", field="cursor") from None


def keyset_after(columns: list[Any], typed: list[Any]):
    """The where-clause of the records after the key `typed` in the ascending order of `columns` (NULLs last,
    as PostgreSQL sorts them). A row comparison when no column can be NULL: one index range scan."""
    if not any(c.nullable for c in columns) and None not in typed:
        return tuple_(*columns) > tuple_(*typed)
    options = []
    for i, (column, value) in enumerate(zip(columns, typed, strict=True)):
        same = [c.is_(None) if v is None else c == v for c, v in zip(columns[:i], typed[:i], strict=True)]
        if value is not None:
            options.append(and_(*same, or_(column > value, column.is_(None)) if column.nullable else column > value))
    return or_(*options) if options else false()


def binding_of(request: Request) -> str:
    """What a cursor is bound to: the route's path and its filters (every query parameter but the paging ones)."""
    filters = sorted((k, v) for k, v in request.query_params.multi_items() if k not in PAGING_PARAMS)
    return json.dumps([request.url.path, filters], separators=(",", ":"))


class PageRequest:
    """One page of a list: how many records, after which (`after`, the decoded sort key), and where to
    announce the next page (the response's headers)."""

    def __init__(self, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None, binding: str = "",
                 request: Request | None = None, response: Response | None = None) -> None:
        self.limit = limit
        self.binding = binding
        self.after: list[Any] | None = decode_cursor(cursor, binding) if cursor else None
        self.request = request
        self.response = response
        self.next_cursor: str | None = None

    def has_more(self, last_key: list[Any]) -> None:
        """There is a page after this one, starting after the record whose sort key is `last_key`."""
        self.next_cursor = encode_cursor(last_key, self.binding)
        if self.response is not None and self.request is not None:
            url = self.request.url.include_query_params(cursor=self.next_cursor)
            self.response.headers["Link"] = f'<{url}>; rel="next"'
            self.response.headers[NEXT_CURSOR_HEADER] = self.next_cursor


def page_request(
    request: Request, response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT,
                                description=f"Records per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})")]
    = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=2000, description=(
        "Where the page starts: the `X-Next-Cursor` of the page before (or follow its `Link: rel=\"next\"`). "
        "Bound to the list and its filters."))] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor, binding=binding_of(request), request=request, response=response)


# shared.openapi documents the paging headers on every route that takes this parameter.
page_request.paged = True  # type: ignore[attr-defined]

Page = Annotated[PageRequest, Depends(page_request)]
