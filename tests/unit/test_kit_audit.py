"""The kit's audit trail without servers: what counts as a change, and the row a saved change leaves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import pytest
from shared.auth import Principal, Role
from shared.clock import FixedClock
from shared.errors import Conflict
from shared.kit import Aggregate, InMemoryUnitOfWork, Repository, history
from shared.kit.audit import changes, created


class Note(Aggregate):
    kind: ClassVar[str] = "note"
    text: str
    tags: list[str] = []


class Notes(Repository[Note]):
    aggregate = Note


def user(uid: str, store: str) -> Principal:
    return Principal(user_id=uid, name=uid, dealer_group_id="dg", roles=frozenset({Role.ADVISOR}),
                     store_ids=frozenset({store}))


def test_changes_are_paths_from_what_to_what_and_leave_out_the_version():
    before = {"id": "n", "version": 1, "text": "a", "jobs": [{"done": False}], "tags": ["x"]}
    after = {"id": "n", "version": 2, "text": "b", "jobs": [{"done": True}, {"done": False}], "tags": ["x"]}
    assert changes(before, after) == {"text": ["a", "b"], "jobs[0].done": [False, True],
                                      "jobs[1]": [None, {"done": False}]}
    assert changes(after, after) == {}


def test_a_new_record_changes_each_field_it_stores_from_nothing_as_the_walk_would():
    doc = {"id": "n", "version": 1, "text": "a", "note": None, "jobs": [{"done": False}], "tags": [],
           "answers": {}, "meta": {"a": {"b": 1}}, "done": False, "count": 0}
    assert created(doc) == changes({}, doc)
    assert list(created(doc)) == ["answers", "count", "done", "id", "jobs", "meta", "tags", "text"]


async def test_each_saved_change_leaves_one_row_naming_who_when_and_what():
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    first = InMemoryUnitOfWork(clock=clock, actor=user("u-1", "s-1"))
    first.command = "write_note"
    await first.repo(Notes).add(Note(id="n-1", dealer_group_id="dg", store_id="s-1", text="brake pads"))
    clock.advance(minutes=5)
    second = first.as_actor(user("u-2", "s-1"), command="edit_note")
    note = await second.repo(Notes).get("n-1")
    note.text, note.tags = "brake pads and discs", ["safety"]
    note.changed()
    await second.repo(Notes).save(note)
    unchanged = await second.repo(Notes).get("n-1")
    await second.repo(Notes).save(unchanged)  # nothing changed: no row

    trail = await history(second, Notes, "n-1")
    assert [(e.actor_id, e.command, e.version) for e in trail] == [("u-1", "write_note", 1), ("u-2", "edit_note", 2)]
    assert trail[1].changes == {"tags[0]": [None, "safety"], "text": ["brake pads", "brake pads and discs"]}
    assert trail[1].at == datetime(2026, 12, 1, 9, 5, tzinfo=UTC) and trail[1].actor_stores == ["s-1"]


async def test_a_refused_save_leaves_no_row():
    uow = InMemoryUnitOfWork(clock=FixedClock(datetime(2026, 12, 1, tzinfo=UTC)), actor=user("u-1", "s-1"))
    await uow.repo(Notes).add(Note(id="n-1", dealer_group_id="dg", store_id="s-1", text="a"))
    late = uow.as_actor(user("u-2", "s-1"))
    stale = await late.repo(Notes).get("n-1")
    writer = uow.as_actor(user("u-3", "s-1"))
    note = await writer.repo(Notes).get("n-1")
    note.text = "b"
    note.changed()
    await writer.repo(Notes).save(note)
    stale.text = "c"
    stale.changed()
    with pytest.raises(Conflict, match="changed by someone else"):
        await late.repo(Notes).save(stale)
    assert [r["actor_id"] for r in uow.audit_log] == ["u-1", "u-3"]
