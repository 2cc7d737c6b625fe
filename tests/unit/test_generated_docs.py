"""docs/openapi, docs/asyncapi.yaml and docs/events are generated from the code: they must be current."""

from __future__ import annotations

import sys
from pathlib import Path

import shared.registry as registry
import yaml

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


def test_prometheus_scrapes_every_service_of_the_registry():
    path = ROOT / "deploy/observability/prometheus.yml"
    assert path.read_text() == gen_docs.prometheus_yml(), "run ./run docs — prometheus.yml differs from the registry"
    config = yaml.safe_load(path.read_text())
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert sorted(targets) == sorted(f"{s.name}:{s.http_port}" for s in registry.SERVICES)
    assert config["rule_files"] == ["alerts.yml"]
