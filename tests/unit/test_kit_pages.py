"""The kit's cursor pagination without servers: the cursor (bound to its list and filters, refused when
altered), the keyset it carries read back by column type, the in-memory repository's pages, and what
every list's OpenAPI says."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import ClassVar

import pytest
import shared.registry as registry
from openapi_spec_validator import validate
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.errors import DomainError
from shared.kit import Aggregate, InMemoryUnitOfWork, PageRequest, Repository
from shared.kit.pages import binding_of, decode_cursor, encode_cursor, keyset_after, typed_key
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Numeric, String, Table
from sqlalchemy.dialects import postgresql
from starlette.requests import Request

BINDING = '["/complaints",[["status","open"]]]'


def request(query: str, path: str = "/complaints") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": [],
                    "scheme": "http", "server": ("crm", 80), "root_path": ""})


def test_a_cursor_carries_its_sort_key_back():
    key = [datetime(2026, 12, 1, 9, 30, tzinfo=UTC), date(2026, 12, 2), Decimal("12.50"), 7, "c-00042"]
    cursor = encode_cursor(key, BINDING)
    assert decode_cursor(cursor, BINDING) == ["2026-12-01T09:30:00+00:00", "2026-12-02", "12.50", 7, "c-00042"]
    # URL-safe as it is: no padding, no '+' or '/'
    assert cursor.isascii() and not set(cursor) & set("+/=&?# ")


@pytest.mark.parametrize("altered", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),     # the last character changed
    lambda c: c[:20] + ("x" if c[20] != "x" else "y") + c[21:],  # one in the key
    lambda c: c[:-4],                                       # cut short
    lambda c: "not-a-cursor",
    lambda c: "!!!",                                        # not even base64
    lambda c: "",
])
def test_an_altered_cursor_is_refused_naming_it(altered):
    cursor = encode_cursor(["2026-12-01", "c-1"], BINDING)
    with pytest.raises(DomainError) as refused:
        decode_cursor(altered(cursor), BINDING)
    assert refused.value.field == "cursor"


def test_a_cursor_is_bound_to_its_list_and_its_filters():
    cursor = encode_cursor(["c-1"], binding_of(request("status=open&store_id=s-1")))
    # the same filters in another order, another limit, the cursor itself: the same list
    assert decode_cursor(cursor, binding_of(request("store_id=s-1&limit=2&status=open&cursor=x"))) == ["c-1"]
    for other in (request("status=closed&store_id=s-1"), request("status=open"),
                  request("status=open&store_id=s-1&overdue=true"),
                  request("status=open&store_id=s-1", path="/follow-ups")):
        with pytest.raises(DomainError) as refused:
            decode_cursor(cursor, binding_of(other))
        assert refused.value.field == "cursor"


_T = Table("things", MetaData(), Column("id", String, primary_key=True), Column("at", DateTime(timezone=True),
           nullable=False), Column("due", Date), Column("amount", Numeric), Column("n", Integer, nullable=False))


def sql(clause) -> str:
    return str(clause.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_the_keyset_is_one_row_comparison_when_no_column_can_be_null():
    clause = keyset_after([_T.c.at, _T.c.n, _T.c.id], typed_key([_T.c.at, _T.c.n, _T.c.id],
                                                                ["2026-12-01T09:30:00+00:00", 3, "t-9"]))
    assert sql(clause) == "(things.at, things.n, things.id) > ('2026-12-01 09:30:00+00:00', 3, 't-9')"


def test_a_nullable_sort_column_keeps_its_nulls_last():
    after_value = sql(keyset_after([_T.c.due, _T.c.id], [date(2026, 12, 2), "t-9"]))
    assert "things.due > '2026-12-02'" in after_value and "things.due IS NULL" in after_value
    after_null = sql(keyset_after([_T.c.due, _T.c.id], [None, "t-9"]))
    assert after_null == "things.due IS NULL AND things.id > 't-9'"


@pytest.mark.parametrize("values", [
    ["not a time", 3, "t"], [42, 3, "t"], ["2026-12-01T09:30:00+00:00", "3", "t"],
    ["2026-12-01T09:30:00+00:00", True, "t"],
    ["2026-12-01T09:30:00", 3, "t"],  # no time zone, for a column with one
    ["2026-12-01T09:30:00+00:00", 3], ["2026-12-01", 3, "t", "x"],
])
def test_a_key_that_does_not_fit_the_columns_is_refused_not_sent_to_the_database(values):
    with pytest.raises(DomainError) as refused:
        typed_key([_T.c.at, _T.c.n, _T.c.id], values)
    assert refused.value.field == "cursor"


def test_a_decimal_key_that_is_not_a_number_is_refused():
    with pytest.raises(DomainError):
        typed_key([_T.c.amount, _T.c.id], ["lots", "t"])


class Note(Aggregate):
    kind: ClassVar[str] = "note"
    text: str = ""


class Notes(Repository[Note]):
    aggregate = Note


async def test_the_in_memory_repository_pages_by_id_as_the_sql_one_does():
    actor = Principal(user_id="u", name="u", dealer_group_id="dg", roles=frozenset({Role.ADVISOR}),
                      store_ids=frozenset({"s-1"}))
    uow = InMemoryUnitOfWork(actor=actor, clock=FixedClock(datetime(2026, 12, 1, tzinfo=UTC)))
    for i in (3, 1, 5, 2, 4):
        await uow.repo(Notes).add(Note(id=f"n-{i}", dealer_group_id="dg", store_id="s-1", text=str(i % 2)))
    seen, cursor = [], None
    while True:
        page = PageRequest(limit=2, cursor=cursor, binding=BINDING)
        seen.append([n.id for n in await uow.repo(Notes).list(page=page, keep=lambda n: n.text == "1")])
        if (cursor := page.next_cursor) is None:
            break
    assert seen == [["n-1", "n-3"], ["n-5"]]


def test_every_list_documents_its_paging_and_the_openapi_stays_valid():
    module, _, factory = registry.service("crm").app_factory.partition(":")
    app = getattr(importlib.import_module(module), factory)()
    spec = app.openapi()
    validate(spec)
    op = spec["paths"]["/complaints"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["limit"]["schema"]["maximum"] == 500 and params["limit"]["schema"]["default"] == 100
    assert "cursor" in params
    assert set(op["responses"]["200"]["headers"]) == {"Link", "X-Next-Cursor"}
    assert "422" in op["responses"]
    # a single record and a computed report are not pages
    assert "headers" not in spec["paths"]["/complaints/{complaint_id}"]["get"]["responses"]["200"]
    assert "cursor" not in {p["name"] for p in spec["paths"]["/reports/monthly"]["get"].get("parameters", [])}
