"""docker-compose.yml runs the same system with the official images: check it declares all of it,
as shared/registry.py names it."""

from __future__ import annotations

import re
from pathlib import Path

import shared.registry as registry
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = {"kafka", "postgres", "prometheus", "grafana"}


def test_compose_declares_broker_database_and_every_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    svcs = compose["services"]
    assert svcs["kafka"]["image"].startswith("apache/kafka:4")
    assert "KAFKA_PROCESS_ROLES" in svcs["kafka"]["environment"]  # KRaft, no ZooKeeper
    assert svcs["postgres"]["image"].startswith("postgres:")
    assert set(svcs) - INFRASTRUCTURE == set(registry.names()), "compose services differ from shared/registry.py"
    for s in registry.SERVICES:
        assert s.name in svcs, f"service {s.name} missing"
        env = svcs[s.name]["environment"]
        assert env["DATABASE_URL"].endswith(f"/{s.database}"), f"{s.name} must own its database"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert svcs[s.name]["build"]["args"]["SERVICE"] == s.package
        assert svcs[s.name]["ports"] == [f"{s.http_port}:{s.http_port}"]
        assert set(svcs[s.name]["depends_on"]) >= {"kafka", "postgres"}
        assert f"127.0.0.1:{s.http_port}/ready" in str(svcs[s.name]["healthcheck"]["test"])
    gateway_env = svcs["gateway"]["environment"]
    assert {k for k in gateway_env if k.endswith("_URL") and k != "DATABASE_URL"} == \
        {s.url_env for s in registry.backends()}
    for s in registry.backends():
        assert gateway_env[s.url_env] == s.url(host=s.name), s.url_env


def test_every_service_database_is_created_by_postgres_init_and_pg_sh():
    """init-databases.sql (the postgres image's first start) creates exactly the registry's databases;
    pg.sh reads its default list from that file."""
    init_sql = (ROOT / "deploy/postgres/init-databases.sql").read_text()
    created = re.findall(r"^CREATE DATABASE (\w+);$", init_sql, flags=re.M)
    assert sorted(created) == sorted(s.database for s in registry.SERVICES)
    assert "init-databases.sql" in (ROOT / "deploy/postgres/pg.sh").read_text()


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
