"""The AsyncAPI document is what a manufacturer's integration team feeds its tools: the official
parser (@asyncapi/parser, with Spectral's AsyncAPI ruleset) must accept it without an error or a warning."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.node_tools import npm_tool

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))

import gen_docs  # noqa: E402


def official_parser(document: dict, tmp_path: Path) -> tuple[int, list[dict]]:
    tool = npm_tool("asyncapi")
    path = tmp_path / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110))
    run = subprocess.run(["node", str(tool / "validate.mjs"), str(path)], capture_output=True, text=True,
                         timeout=300)
    rows = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return run.returncode, rows


def test_the_official_parser_accepts_our_asyncapi_with_no_error_or_warning(tmp_path):
    rc, rows = official_parser(gen_docs.asyncapi(), tmp_path)
    problems = [r for r in rows if r.get("severity") in ("error", "warning")]
    assert rc == 0 and not problems, problems[:10]
    assert rows[-1] == {"parsed": True, "problems": 0}


def test_the_parser_would_catch_a_broken_reference(tmp_path):
    doc = gen_docs.asyncapi()
    message = next(iter(doc["components"]["messages"].values()))
    message["payload"]["properties"]["broken"] = {"$ref": "#/$defs/Nowhere"}
    rc, rows = official_parser(doc, tmp_path)
    assert rc != 0 and any(r.get("code") == "invalid-ref" for r in rows)


def test_manufacturer_topics_are_marked_public_and_free_of_personal_data():
    channels = {c["address"]: c for c in gen_docs.asyncapi()["channels"].values()}
    for topic, channel in channels.items():
        public = topic.startswith("oem.")
        assert ({"name": "manufacturer-public"} in channel["tags"]) == public, topic
        assert ("no customer personal data" in channel["description"]) == public, topic


def test_the_manufacturer_contract_has_no_field_for_personal_data():
    from shared.contracts import EVENT_TYPES

    personal = ("name", "phone", "address", "customer", "owner", "email", "plate")
    for event_type, cls in EVENT_TYPES.items():
        if cls.topic.startswith("oem."):
            leaks = [f for f in cls.model_fields if any(word in f for word in personal)]
            assert not leaks, f"{event_type} carries personal data: {leaks}"
