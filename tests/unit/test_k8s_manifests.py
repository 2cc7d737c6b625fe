"""deploy/k8s/: generated from the service registry, rendered by Kustomize (kubectl's), and every manifest
valid against the real schemas: Kubernetes' (kubernetes-validate), Strimzi's and CloudNativePG's CRDs
(deploy/k8s_schemas.py says how each is obtained). The first run fetches the CRDs (Maven, Go), later
ones read .local/k8s-schemas/."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shared.registry as registry
import yaml
from shared.contracts import claims

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))

import k8s_gen  # noqa: E402
import k8s_schemas  # noqa: E402

OVERLAYS = ("base", "overlays/production", "overlays/demo")


def kustomize(path: str) -> list[dict]:
    """`kubectl kustomize` (Kustomize built into kubectl), or a standalone `kustomize build`."""
    if kubectl := shutil.which("kubectl"):
        cmd = [kubectl, "kustomize", str(k8s_gen.K8S / path)]
    elif standalone := shutil.which("kustomize"):
        cmd = [standalone, "build", str(k8s_gen.K8S / path)]
    else:
        pytest.fail("neither kubectl nor kustomize is installed: deploy/k8s/ cannot be rendered")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {overlay: kustomize(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="module")
def deployed() -> list[k8s_gen.Deployed]:
    return k8s_gen.deployed()


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def test_committed_manifests_are_the_generated_ones():
    stale = [str(p.relative_to(ROOT)) for p, text in k8s_gen.render().items()
             if not p.exists() or p.read_text() != text]
    assert not stale, f"run ./run docs (or uv run python deploy/k8s_gen.py) — stale: {stale}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_manifest_matches_its_schema(rendered, overlay):
    errors = [e for doc in rendered[overlay] for e in k8s_schemas.validate(doc)]
    assert not errors, "\n".join(errors[:20])
    kinds = {d["kind"] for d in rendered[overlay]}
    assert {"Deployment", "HorizontalPodAutoscaler", "Job", "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser",
            "Cluster"} <= kinds
    print(f"{overlay}: {len(rendered[overlay])} manifests valid against", k8s_schemas.sources())


def test_the_validation_refuses_what_the_api_server_would(rendered):
    docs = rendered["base"]
    deployment = copy.deepcopy(of_kind(docs, "Deployment")["crm"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    kafka = copy.deepcopy(of_kind(docs, "Kafka")["aftersales"])
    kafka["spec"]["kafka"]["replicas"] = 3  # not in Strimzi's v1 API: node pools hold the replicas
    database = copy.deepcopy(of_kind(docs, "Cluster")["crm-db"])
    database["spec"]["instances"] = "three"
    for broken, field in ((deployment, "readinessprobe"), (kafka, "replicas"), (database, "instances")):
        errors = k8s_schemas.validate(broken)
        assert errors and field in errors[0], errors


def test_each_service_runs_with_the_probes_port_and_image_of_its_app(rendered, deployed):
    deployments = of_kind(rendered["base"], "Deployment")
    services = of_kind(rendered["base"], "Service")
    for d in deployed:
        module, _, factory = d.svc.app_factory.partition(":")
        paths = set(getattr(__import__(module, fromlist=[factory]), factory)().openapi()["paths"])
        pod = deployments[d.name]["spec"]["template"]["spec"]
        app = pod["containers"][0]
        assert app["image"] == f"aftersales-{d.svc.package}"
        assert app["command"][-2:] == ["-m", d.svc.package]
        assert app["readinessProbe"]["httpGet"]["path"] == "/ready" in paths
        assert app["livenessProbe"]["httpGet"]["path"] == "/health" in paths
        assert app["ports"] == [{"name": "http", "containerPort": d.svc.http_port}]
        assert services[d.name]["spec"]["ports"][0]["port"] == d.svc.http_port
        assert app["resources"]["requests"] and app["resources"]["limits"]["memory"]


def test_autoscalers_never_outnumber_the_partitions_a_service_reads(rendered, deployed):
    for overlay in OVERLAYS:
        topics = {t["spec"]["topicName"]: t["spec"]["partitions"]
                  for t in of_kind(rendered[overlay], "KafkaTopic").values()}
        hpas = of_kind(rendered[overlay], "HorizontalPodAutoscaler")
        for d in deployed:
            read = {t for ts in d.consumes.values() for t in ts}
            bound = min((topics[t] for t in read), default=k8s_gen.HTTP_ONLY_MAX_REPLICAS)
            spec = hpas[d.name]["spec"]
            assert spec["minReplicas"] <= spec["maxReplicas"] <= bound, (overlay, d.name)
            assert spec["metrics"][0]["resource"]["name"] == "cpu"
    assert of_kind(rendered["base"], "HorizontalPodAutoscaler")["crm"]["spec"]["maxReplicas"] == \
        registry.partitions("reception.repair-orders")
    # The gateway's boards are notified on every instance (no group): that bounds neither its replicas nor
    # adds a lag metric; CPU alone scales it.
    gateway = next(d for d in deployed if d.name == "gateway")
    assert registry.service("gateway").notifications and not gateway.consumes
    assert of_kind(rendered["base"], "HorizontalPodAutoscaler")["gateway"]["spec"]["maxReplicas"] == \
        k8s_gen.HTTP_ONLY_MAX_REPLICAS


def test_consumer_lag_scales_the_consumers_in_production_only(rendered, deployed):
    hpas = of_kind(rendered["overlays/production"], "HorizontalPodAutoscaler")
    for d in deployed:
        external = [m["external"] for m in hpas[d.name]["spec"]["metrics"] if m["type"] == "External"]
        if d.consumes:
            assert external == [{"metric": {"name": k8s_gen.LAG_METRIC, "selector": {"matchLabels": {
                "service": d.name}}}, "target": {"type": "AverageValue", "averageValue": k8s_gen.LAG_PER_REPLICA}}]
        else:
            assert external == []
    demo = of_kind(rendered["overlays/demo"], "HorizontalPodAutoscaler")
    assert all(len(h["spec"]["metrics"]) == 1 for h in demo.values())


def test_every_topic_a_service_creates_is_a_kafka_topic_with_the_services_partitions(rendered):
    for overlay in OVERLAYS:
        topics = {t["spec"]["topicName"]: t["spec"] for t in of_kind(rendered[overlay], "KafkaTopic").values()}
        assert set(topics) == set(k8s_gen.catalogue())
        config = of_kind(rendered[overlay], "ConfigMap")["aftersales-config"]["data"]
        for spec in topics.values():
            # A service creating a missing topic uses KAFKA_PARTITIONS; Kafka may only add partitions to it.
            assert spec["partitions"] >= int(config["KAFKA_PARTITIONS"])
            assert spec["replicas"] == int(config["KAFKA_REPLICATION_FACTOR"])
    kafka = of_kind(rendered["base"], "Kafka")["aftersales"]["spec"]["kafka"]
    assert kafka["config"]["auto.create.topics.enable"] is False
    bootstrap = of_kind(rendered["base"], "ConfigMap")["aftersales-config"]["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    plain = next(li for li in kafka["listeners"] if li["name"] == "plain")
    assert bootstrap == f"aftersales-kafka-bootstrap:{plain['port']}" and not plain["tls"]


def test_the_manufacturer_gets_what_kafka_sh_grants_it_and_nothing_more(rendered):
    kafka_sh = (ROOT / "deploy/kafka/kafka.sh").read_text()
    assert f'OEM_READ_TOPIC="{claims.OEM_CLAIMS}"' in kafka_sh
    assert f'OEM_WRITE_TOPIC="{claims.OEM_DECISIONS}"' in kafka_sh
    assert re.search(r'--group "manufacturer\." --resource-pattern-type prefixed', kafka_sh)
    user = of_kind(rendered["overlays/production"], "KafkaUser")["manufacturer"]["spec"]
    assert user["authentication"] == {"type": "scram-sha-512"}
    acls = {(a["resource"]["type"], a["resource"]["name"], a["resource"]["patternType"]): set(a["operations"])
            for a in user["authorization"]["acls"]}
    assert acls == {("topic", claims.OEM_CLAIMS, "literal"): {"Read", "Describe"},
                    ("topic", claims.OEM_DECISIONS, "literal"): {"Write", "Describe"},
                    ("group", "manufacturer.", "prefix"): {"Read", "Describe"}}
    listeners = of_kind(rendered["overlays/production"], "Kafka")["aftersales"]["spec"]["kafka"]["listeners"]
    oem = next(li for li in listeners if li["name"] == "oem")
    assert oem["authentication"]["type"] == "scram-sha-512" and oem["tls"] is True


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env", [])}


def test_each_service_owns_its_database_and_only_the_gateway_holds_the_signing_keys(rendered, deployed):
    docs = rendered["overlays/production"]
    clusters = of_kind(docs, "Cluster")
    deployments = of_kind(docs, "Deployment")
    for d in deployed:
        cluster = clusters[d.database_cluster]["spec"]
        assert cluster["bootstrap"]["initdb"] == {"database": d.svc.database, "owner": d.name}
        pod = deployments[d.name]["spec"]["template"]["spec"]
        for container in pod["containers"] + pod["initContainers"]:
            env = _env(container)
            assert env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == f"{d.database_cluster}-app"
            assert env["DATABASE_URL"]["value"].startswith("postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@")
            assert env["DATABASE_URL"]["value"].endswith(f"@{d.database_cluster}-rw:5432/{d.svc.database}")
        env = _env(pod["containers"][0])
        assert env["JWT_KEYS"]["valueFrom"]["secretKeyRef"] == {"name": k8s_gen.JWT_SECRET, "key": "JWT_KEYS"}
        assert ("JWT_SIGNING_KEYS" in env) == (d.name == "gateway")
    gateway = _env(deployments["gateway"]["spec"]["template"]["spec"]["containers"][0])
    for s in registry.backends():
        assert gateway[s.url_env]["value"] == f"http://{s.name}:{s.http_port}"
    signing = [c["name"] for d in deployments.values() for c in d["spec"]["template"]["spec"]["containers"]
               + d["spec"]["template"]["spec"].get("initContainers", []) if "JWT_SIGNING_KEYS" in _env(c)]
    assert signing == ["gateway"]


def test_migrations_run_as_a_job_and_pods_wait_for_them(rendered, deployed):
    docs = rendered["overlays/production"]
    jobs, deployments = of_kind(docs, "Job"), of_kind(docs, "Deployment")
    for d in deployed:
        job = jobs[f"{d.name}-migrate"]["spec"]["template"]["spec"]["containers"][0]
        pod = deployments[d.name]["spec"]["template"]["spec"]
        assert job["command"][-3:] == ["shared.migrations", "upgrade", d.name]
        assert pod["initContainers"][0]["command"][-3:] == ["shared.migrations", "wait", d.name]
        assert job["image"] == pod["initContainers"][0]["image"] == pod["containers"][0]["image"]
        assert "JWT_KEYS" not in _env(job)
        # The HPA and the Service must not count the migration's pod as one of the service's.
        selector = deployments[d.name]["spec"]["selector"]["matchLabels"]
        assert not set(selector.items()) <= set(jobs[f"{d.name}-migrate"]["spec"]["template"]["metadata"]
                                                ["labels"].items())


def test_the_manufacturer_simulator_runs_in_the_demo_only(rendered):
    assert "manufacturer-simulator" not in of_kind(rendered["overlays/production"], "Deployment")
    demo = of_kind(rendered["overlays/demo"], "Deployment")["manufacturer-simulator"]
    container = demo["spec"]["template"]["spec"]["containers"][0]
    assert "deploy/manufacturer_simulator.py" in container["command"]
    assert _env(container)["MANUFACTURER_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "manufacturer", "key": "password"}
    assert of_kind(rendered["overlays/demo"], "ConfigMap")["aftersales-config"]["data"]["DEV_MODE"] == "1"
    assert of_kind(rendered["overlays/production"], "ConfigMap")["aftersales-config"]["data"]["DEV_MODE"] == "0"
    assert all(d["metadata"]["namespace"] == "aftersales" for d in rendered["overlays/production"]
               if d["kind"] != "Namespace")
