"""docs/openapi, docs/asyncapi.yaml and docs/events are generated from the code: they must be current."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))

import gen_docs  # noqa: E402


def test_generated_api_documents_match_the_code():
    stale = [str(p.relative_to(ROOT)) for p, text in gen_docs.render().items()
             if not p.exists() or p.read_text() != text]
    assert not stale, f"run ./run docs — stale: {stale[:5]}"


def test_asyncapi_lists_every_topic_with_its_dead_letter_note():
    doc = gen_docs.asyncapi()
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {"crm.customers", "reception.repair-orders", "oem.warranty-decisions"} <= addresses
    assert all(".dlq" in c["description"] for c in doc["channels"].values())
