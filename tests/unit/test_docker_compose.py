"""docker-compose.yml runs the same system with the official images: check it declares all of it."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("reception", "workshop", "parts", "claims", "crm", "gateway")


def test_compose_declares_broker_database_and_every_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    svcs = compose["services"]
    assert svcs["kafka"]["image"].startswith("apache/kafka:4")
    assert "KAFKA_PROCESS_ROLES" in svcs["kafka"]["environment"]  # KRaft, no ZooKeeper
    assert svcs["postgres"]["image"].startswith("postgres:")
    init_sql = (ROOT / "deploy/postgres/init-databases.sql").read_text().lower()
    for name in SERVICES:
        assert name in svcs, f"service {name} missing"
        env = svcs[name]["environment"]
        assert env["DATABASE_URL"].endswith(f"/{name}"), f"{name} must own its database"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert f"create database {name}" in init_sql
        assert set(svcs[name]["depends_on"]) >= {"kafka", "postgres"}
        assert "/ready" in str(svcs[name]["healthcheck"]["test"])
    for name in SERVICES[:-1]:
        assert svcs["gateway"]["environment"][f"{name.upper()}_URL"].startswith(f"http://{name}:")


def test_dashboard_and_alerts_only_use_metrics_the_services_export():
    import json
    import re

    from shared import observability

    exported = {m._name for m in vars(observability).values() if hasattr(m, "_name") and hasattr(m, "_type")}
    exported |= {n + "_total" for n in exported} | {n + "_bucket" for n in exported}
    dashboard = json.loads((ROOT / "deploy/observability/grafana-operations.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [r["expr"] for g in yaml.safe_load((ROOT / "deploy/observability/alerts.yml").read_text())["groups"]
              for r in g["rules"]]
    used = {m for e in exprs for m in re.findall(r"\b(http_\w+|outbox_\w+|kafka_\w+)\b", e)}
    assert used and used <= exported, f"unknown metrics: {used - exported}"
