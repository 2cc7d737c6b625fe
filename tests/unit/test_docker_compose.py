"""docker-compose.yml runs the same system with the official images: check it declares all of it,
as shared/registry.py names it."""

from __future__ import annotations

import re
from pathlib import Path

import shared.registry as registry
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = {"kafka", "postgres", "prometheus", "grafana"}
# Beside the platform's services: the manufacturer's side (an outside party, on its own listener) and the
# one-shot that gives it its credential and ACLs.
MANUFACTURER = {"kafka-init", "manufacturer-simulator"}


def test_compose_declares_broker_database_and_every_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    svcs = compose["services"]
    assert svcs["kafka"]["image"].startswith("apache/kafka:4")
    assert "KAFKA_PROCESS_ROLES" in svcs["kafka"]["environment"]  # KRaft, no ZooKeeper
    assert svcs["postgres"]["image"].startswith("postgres:")
    assert set(svcs) - INFRASTRUCTURE - MANUFACTURER == set(registry.names()), \
        "compose services differ from shared/registry.py"
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


def _image_properties(env: dict) -> dict[str, str]:
    """server.properties as the apache/kafka image writes it from KAFKA_* variables (KafkaDockerWrapper:
    "_" -> ".", then "..." -> "-", ".." -> "_")."""
    skip = {"KAFKA_VERSION", "KAFKA_HEAP_OPT", "KAFKA_LOG4J_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS",
            "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS",
            "KAFKA_TOOLS_LOG4J_LOGLEVEL", "KAFKA_JMX_HOSTNAME"}
    out = {}
    for k, v in env.items():
        if k.startswith("KAFKA_") and k not in skip:
            out[k.replace("KAFKA_", "").lower().replace("_", ".").replace("...", "-").replace("..", "_")] = str(v)
    return out


def _kafka_sh_manufacturer_properties() -> dict[str, str]:
    """The properties deploy/kafka/kafka.sh adds with --manufacturer (the local twin of compose)."""
    script = (ROOT / "deploy/kafka/kafka.sh").read_text()
    block = re.search(r'if manufacturer_enabled; then\n\s*cat >>"\$d/server.properties" <<EOF\n(.*?)\nEOF',
                      script, flags=re.S)
    assert block, "kafka.sh's manufacturer block not found"
    return dict(line.split("=", 1) for line in block.group(1).splitlines() if line and not line.startswith("#"))


def test_compose_kafka_has_the_manufacturer_listener_and_acls_as_kafka_sh_does():
    kafka = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["kafka"]
    props = _image_properties(kafka["environment"])
    listeners = dict(x.split("://", 1) for x in props["listeners"].split(","))
    advertised = dict(x.split("://", 1) for x in props["advertised.listeners"].split(","))
    protocols = dict(x.split(":") for x in props["listener.security.protocol.map"].split(","))
    assert listeners["MANUFACTURER"] == ":9094" and advertised["MANUFACTURER"] == "kafka:9094"
    assert protocols["MANUFACTURER"] == "SASL_PLAINTEXT"
    assert {n for n, p in protocols.items() if p != "SASL_PLAINTEXT"} == {"PLAINTEXT", "CONTROLLER", "PLAINTEXT_HOST"}
    # the image's start script demands a JAAS file in KAFKA_OPTS for listeners named SASL_*://
    assert "SASL_" not in kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"].replace("SASL_PLAINTEXT", "")
    local = _kafka_sh_manufacturer_properties()
    assert set(local) == {"sasl.enabled.mechanisms", "listener.name.manufacturer.sasl.enabled.mechanisms",
                          "listener.name.manufacturer.scram-sha-512.sasl.jaas.config", "authorizer.class.name",
                          "super.users", "allow.everyone.if.no.acl.found"}
    for key, value in local.items():
        assert props.get(key) == value, f"compose's {key} differs from kafka.sh's ({props.get(key)!r} != {value!r})"
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def test_compose_creates_the_manufacturers_credential_and_acls_and_runs_the_simulator_there():
    svcs = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    init = svcs["kafka-init"]
    assert init["image"] == svcs["kafka"]["image"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    script = " ".join(init["command"]).replace("\\\n", " ")
    assert "--bootstrap-server $$bs" in script and "bs=kafka:9092" in script  # as a super user, on PLAINTEXT
    assert "SCRAM-SHA-512=[password=$$MANUFACTURER_KAFKA_PASSWORD]" in script
    grants = [" ".join(g.split()) for g in re.findall(r"kafka-acls\.sh (.*?)(?:\n|$)", script)]
    assert any("--operation Read --operation Describe --topic oem.warranty-claims" in g for g in grants)
    assert any("--operation Write --operation Describe --topic oem.warranty-decisions" in g for g in grants)
    assert any("--group manufacturer. --resource-pattern-type prefixed" in g for g in grants)
    assert len(grants) == 3, "the manufacturer gets these three grants and nothing else"

    sim = svcs["manufacturer-simulator"]
    assert (ROOT / "deploy/manufacturer_simulator.py").is_file()
    cmd = sim["command"]
    assert "deploy/manufacturer_simulator.py" in cmd
    assert cmd[cmd.index("--bootstrap") + 1] == "kafka:9094", "the simulator uses the manufacturer's listener"
    assert "KAFKA_BOOTSTRAP_SERVERS" not in sim["environment"]
    assert sim["environment"]["MANUFACTURER_KAFKA_USERNAME"] == init["environment"]["MANUFACTURER_KAFKA_USERNAME"]
    assert sim["environment"]["MANUFACTURER_KAFKA_PASSWORD"] == init["environment"]["MANUFACTURER_KAFKA_PASSWORD"]
    assert sim["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
    assert sim["build"]["args"]["SERVICE"] == registry.service("claims").package  # shared + aiokafka
