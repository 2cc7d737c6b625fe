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
