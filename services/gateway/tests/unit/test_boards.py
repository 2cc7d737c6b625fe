"""The boards' rules: each page shown to exactly the roles of the API routes it reads, the pick list, the
figures as chart series, the form token, the labels."""

import importlib
from decimal import Decimal as D

import pytest
from gateway.boards.labels import LABELS, labels, language
from gateway.domain.boards import (
    DISPATCH,
    DISPATCHERS,
    PAGES,
    chart_series,
    csrf_ok,
    csrf_token,
    may_dispatch,
    pages_for,
    pick_list,
)
from shared.auth import Role
from shared.openapi import route_roles


def _roles_of(service: str, method: str, path: str) -> set[str]:
    app = importlib.import_module(f"{service}.main").create_app()
    roles = route_roles(app).get((path, method))
    assert roles, f"{service} has no {method} {path} with roles"
    return set(roles)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_page_is_shown_to_exactly_the_roles_of_the_routes_it_reads(page):
    """The navigation's roles are the union of the roles of the API routes the page shows (read from the
    services' own route declarations), so a page never promises what the API would refuse, nor hides what
    it would answer."""
    expected = set().union(*(_roles_of(*read) for read in page.reads))
    assert {r.value for r in page.roles} == expected


def test_the_dispatch_form_is_shown_to_exactly_those_who_may_dispatch():
    assert {r.value for r in DISPATCHERS} == _roles_of(*DISPATCH)
    assert may_dispatch({Role.WORKSHOP_SUPERVISOR}) and not may_dispatch({Role.TECHNICIAN, Role.ADVISOR})


def test_a_technician_sees_the_workshop_and_the_parts_but_not_the_figures():
    assert pages_for({Role.TECHNICIAN}) == ["workshop", "parts"]
    assert "figures" in pages_for({Role.WORKSHOP_SUPERVISOR})
    assert pages_for({Role.MANUFACTURER}) == []


def test_the_pick_list_sums_each_part_over_the_bookings_still_booked():
    bookings = [
        {"id": "b2", "state": "booked", "slot_start": "2026-11-27T14:00:00+08:00", "parts_status": "reserved",
         "parts": [{"part_no": "PAD", "quantity": "1"}, {"part_no": "OIL", "quantity": "4"}]},
        {"id": "b1", "state": "booked", "slot_start": "2026-11-27T09:00:00+08:00", "parts_status": "in_stock",
         "parts": [{"part_no": "OIL", "quantity": "4.5"}]},
        {"id": "b3", "state": "cancelled", "slot_start": "2026-11-27T10:00:00+08:00",
         "parts": [{"part_no": "PAD", "quantity": "9"}]},
    ]
    rows = pick_list(bookings)
    assert [(r.part_no, r.total) for r in rows] == [("OIL", D("8.5")), ("PAD", D("1"))]
    assert [b["appointment_id"] for b in rows[0].bookings] == ["b1", "b2"]  # in slot order


def test_chart_series_one_line_per_store_the_group_last_ratios_in_percent_gaps_as_null():
    rate = {"kpi": "booking_rate", "combine": "ratio", "unit": "ratio"}
    figures = [
        {**rate, "store_id": "*", "period": "2026-11-16", "value": "0.5"},
        {**rate, "store_id": "s-a", "period": "2026-11-16", "value": "0.25"},
        {**rate, "store_id": "s-a", "period": "2026-11-23", "value": None},
        {"kpi": "revenue", "store_id": "s-b", "period": "2026-11-23", "value": "1200.50", "combine": "sum",
         "unit": "CNY"},
        # ratios of other units keep them: a CSI of 4.33 is not 433 %, ¥1,850 a vehicle not 185,000 %
        {"kpi": "csi", "store_id": "s-a", "period": "2026-11-23", "value": "4.33", "combine": "ratio", "unit": "score"},
        {"kpi": "revenue_per_vehicle", "store_id": "s-a", "period": "2026-11-23", "value": "1850.00",
         "combine": "ratio", "unit": "CNY"},
    ]
    charts = chart_series(figures, {"s-a": "浦东店", "*": "集团"})
    rate = charts["booking_rate"]
    assert rate["unit"] == "%" and rate["labels"] == ["2026-11-16", "2026-11-23"]
    assert [(d["label"], d["data"]) for d in rate["datasets"]] == [("浦东店", [25.0, None]), ("集团", [50.0, None])]
    assert charts["revenue"] == {"unit": "CNY", "labels": ["2026-11-23"], "datasets": [
        {"label": "s-b", "store_id": "s-b", "data": [1200.5]}]}
    assert (charts["csi"]["unit"], charts["csi"]["datasets"][0]["data"]) == ("score", [4.33])
    assert (charts["revenue_per_vehicle"]["unit"], charts["revenue_per_vehicle"]["datasets"][0]["data"]) == (
        "CNY", [1850.0])


def test_the_form_token_belongs_to_one_session_under_one_secret():
    token = csrf_token(b"k" * 32, "session-1")
    assert csrf_ok(b"k" * 32, "session-1", token)
    assert not csrf_ok(b"k" * 32, "session-2", token)
    assert not csrf_ok(b"x" * 32, "session-1", token)
    assert not csrf_ok(b"k" * 32, "session-1", None) and not csrf_ok(b"k" * 32, None, token)


def test_labels_chinese_first_english_on_request_and_a_services_value_shown_in_the_language():
    assert language(None, None) == "zh" and language("en", "zh") == "en" and language("xx", "en") == "en"
    zh, en = labels("zh"), labels("en")
    assert zh.workshop == "车间看板" and en.workshop == "Workshop board"
    assert zh.of("queued") == "待派工"
    assert en.of("customer", "party") == "customer" and zh.of("customer", "party") == "客户"
    assert zh.of("something_new") == "something_new" and zh.no_such_label == "no_such_label"
    # One word, two meanings: a complaint "open" waits to be handled, a work order "open" is a car in the shop.
    assert zh.of("open") == "待处理" and zh.of("open", "work_order") == "在厂维修"
    assert en.of("ready_for_pickup", "work_order") == "ready for pickup" and zh.of("queued", "work_order") == "待派工"
    assert zh.of("severe", "severity") == "强烈" and zh.of("no_answer", "failure") == "无人接听"
    assert all(zh_text and en_text for zh_text, en_text in LABELS.values())


async def test_an_event_of_a_store_nudges_that_stores_open_boards_only():
    import asyncio
    from types import SimpleNamespace

    from gateway.boards.live import TOPICS, Hub, notifications
    from shared.contracts import workshop

    hub = Hub()
    boards = notifications(hub)
    assert {cls.topic for cls in boards.by_type} == set(TOPICS)
    mine, other = hub.listen("s-a"), hub.listen("s-b")
    handler = boards.by_type[workshop.JobDispatched]
    env = SimpleNamespace(tenant=SimpleNamespace(store_id="s-a"))
    await handler(env, workshop.JobDispatched(repair_order_id="ro", job_id="j", team_id="t"))
    assert await asyncio.wait_for(mine.get(), 1) == workshop.JOBS and other.empty()
    hub.leave("s-a", mine)
    assert hub.open_boards("s-a") == 0 and hub.open_boards("s-b") == 1


def test_every_kpi_docs_kpis_defines_has_a_chinese_and_english_title_and_the_headline_ones_come_first():
    import re
    from pathlib import Path

    from gateway.boards.labels import kpi_rank
    doc = (Path(__file__).resolve().parents[4] / "docs" / "kpis.md").read_text()
    headings = [n for line in re.findall(r"^### (.+)$", doc, re.M) for n in re.findall(r"\b[a-z]+(?:_[a-z]+)+\b|^\w+$",
                                                                                        line)]
    by_pay_type = re.findall(r"`(revenue_\w+)`", doc.split("### revenue by pay type")[1].split("###")[0])
    defined = set(headings) | set(re.findall(r"^\| `(\w+)`", doc, re.M)) | set(by_pay_type)
    assert {"vehicles_in", "csi", "stock_turnover", "revenue_internal"} <= defined  # the reader found them
    zh, en = labels("zh"), labels("en")
    missing = sorted(k for k in defined if zh.of(k, "kpi") == k or en.of(k, "kpi") == k)
    assert not missing, missing
    assert zh.of("first_time_fix_rate", "kpi") == "一次修复率" and en.of("csi", "kpi") == "CSI"
    assert sorted(["stock_turnover", "some_new_kpi", "revenue", "vehicles_in"], key=kpi_rank) == [
        "vehicles_in", "revenue", "stock_turnover", "some_new_kpi"]
