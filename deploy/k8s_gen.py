"""deploy/k8s/: the Kubernetes manifests that follow from the service registry, generated.

shared/src/shared/registry.py names the services (ports, databases, consumer groups), the event contracts
name the topics, and each service's app says which topics its consumer groups read (its notification
subscribers join no group, every instance reads every partition: they bound nothing). From those this
writes, under deploy/k8s/:

    base/kustomization.yaml          the base's resource list (with the hand-written base/kafka.yaml)
    base/config.yaml                 the ConfigMap every service reads its environment from
    base/topics.yaml                 one Strimzi KafkaTopic per topic of the catalogue and per dead-letter twin
    base/manufacturer.yaml           the car maker's KafkaUser: SCRAM, ACLs as deploy/kafka/kafka.sh gives it
    base/databases.yaml              one CloudNativePG Cluster per service
    base/services/<name>.yaml        Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget and
                                     the migration Job of each service
    components/consumer-lag/         the autoscalers' second metric, consumer lag (docs/scaling.md)

Run by deploy/gen_docs.py (`./run docs`); tests/unit/test_k8s_manifests.py fails when the committed files
differ. Edit this file or the registry, not the output.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import shared.registry as registry
import yaml
from shared.contracts import TOPICS, claims
from shared.messaging.consumer import dlq_topic

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
HEADER = "# Generated from shared/src/shared/registry.py by deploy/k8s_gen.py (./run docs): edit those, not this.\n"

KAFKA_CLUSTER = "aftersales"  # base/kafka.yaml's Kafka
KAFKA_BOOTSTRAP = f"{KAFKA_CLUSTER}-kafka-bootstrap:9092"  # Strimzi's service for the `plain` listener
REPLICATION = 3  # three brokers (base/kafka.yaml); min.insync.replicas 2
CONFIG_MAP = "aftersales-config"
JWT_SECRET = "aftersales-jwt"  # JWT_KEYS: the public key set, every service
SIGNING_SECRET = "aftersales-jwt-signing"  # JWT_SIGNING_KEYS: the gateway's private keys, the gateway alone
IMAGE = "aftersales-{name}"  # deploy/docker/Dockerfile's tag; overlays set registry and version (`images:`)
PYTHON = "/app/.venv/bin/python"  # the image's environment (uv sync in /app): no uv needed at run time
MANUFACTURER = "manufacturer"  # the KafkaUser, as kafka.sh's MANUFACTURER_KAFKA_USERNAME default
MIN_REPLICAS = 2
HTTP_ONLY_MAX_REPLICAS = 10  # a service with no consumer group: bound by CPU alone
CPU_TARGET = 70  # % of the request
LAG_PER_REPLICA = "1000"  # components/consumer-lag: records behind per instance before another one starts
LAG_METRIC = "aftersales_consumer_lag"  # the adapter's name for kafka_consumer_lag (docs/scaling.md)
DATABASE_INSTANCES = 3  # a primary and two standbys per service
DATABASE_SIZE = "20Gi"


@dataclass(frozen=True)
class Deployed:
    """A service of the registry with what its app's consumer groups read (not its notification subscribers)."""

    svc: registry.Service
    consumes: dict[str, tuple[str, ...]]

    @property
    def name(self) -> str:
        return self.svc.name

    @property
    def max_replicas(self) -> int:
        """Instances beyond the partitions of a topic it reads would sit idle in that group."""
        topics = {t for ts in self.consumes.values() for t in ts}
        return min((registry.partitions(t) for t in topics), default=HTTP_ONLY_MAX_REPLICAS)

    @property
    def database_cluster(self) -> str:
        return f"{self.name}-db"


def deployed() -> list[Deployed]:
    out = []
    for svc in registry.by_port():
        module, _, factory = svc.app_factory.partition(":")
        app = getattr(importlib.import_module(module), factory)()
        consumers = {c.name: tuple(c.topics) for c in app.state.runtime.consumers}
        assert set(consumers) == set(svc.consumer_groups), f"{svc.name}: registry's consumer groups differ"
        assert {n.name for n in app.state.runtime.notifications} == set(svc.notifications), \
            f"{svc.name}: registry's notification subscribers differ"
        out.append(Deployed(svc, consumers))
    return out


def catalogue() -> list[str]:
    """Every topic the services create (shared.messaging.topics): the catalogue and the dead-letter twins."""
    return sorted({*TOPICS, *(dlq_topic(t) for t in TOPICS)})


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # the same labels twice are written out twice, not as &id001
        return True


def _yaml(doc) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=120)


def _dump(*docs: dict) -> str:
    return HEADER + "".join("---\n" + _yaml(d) for d in docs)


def _labels(name: str, component: str = "service") -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "aftersales",
            "app.kubernetes.io/component": component}


def _selector(d: Deployed) -> dict[str, str]:
    """The service's pods, not its migration Job's (whose CPU the autoscaler must not count)."""
    return {"app.kubernetes.io/name": d.name, "app.kubernetes.io/component": "service"}


def config_map() -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIG_MAP, "labels": _labels("aftersales",
            "config")}, "data": {
        "KAFKA_BOOTSTRAP_SERVERS": KAFKA_BOOTSTRAP,
        "KAFKA_PARTITIONS": str(registry.DEFAULT_PARTITIONS),
        "KAFKA_REPLICATION_FACTOR": str(REPLICATION),
        "HTTP_HOST": "0.0.0.0",
        "LOG_JSON": "true",
        "LOG_LEVEL": "INFO",
        "DEV_MODE": "0",
        "TIMEZONE": "Asia/Shanghai",
    }}


def kafka_topic(topic: str) -> dict:
    return {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
            "metadata": {"name": topic, "labels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
            "spec": {"topicName": topic, "partitions": registry.partitions(topic.removesuffix(".dlq")),
                     "replicas": REPLICATION, "config": {"min.insync.replicas": REPLICATION - 1}}}


def manufacturer_user() -> dict:
    """What `kafka.sh start --manufacturer` grants: read the claims, write the decisions, groups manufacturer.*"""
    def acl(kind: str, name: str, *operations: str, pattern: str = "literal") -> dict:
        return {"resource": {"type": kind, "name": name, "patternType": pattern}, "operations": list(operations)}

    return {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
            "metadata": {"name": MANUFACTURER, "labels": {"strimzi.io/cluster": KAFKA_CLUSTER}},
            "spec": {"authentication": {"type": "scram-sha-512"},
                     "authorization": {"type": "simple", "acls": [
                         acl("topic", claims.OEM_CLAIMS, "Read", "Describe"),
                         acl("topic", claims.OEM_DECISIONS, "Write", "Describe"),
                         acl("group", "manufacturer.", "Read", "Describe", pattern="prefix"),
                     ]}}}


def database(d: Deployed) -> dict:
    # Every instance may hold 22 connections (pool 10 + overflow 10, the relay's LISTEN and the relay's own
    # connection for its rounds), the migration Job one more.
    connections = max(200, d.max_replicas * 22 + 50)
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
            "metadata": {"name": d.database_cluster, "labels": _labels(d.name, "database")},
            "spec": {
                "instances": DATABASE_INSTANCES,
                "imageName": "ghcr.io/cloudnative-pg/postgresql:15",
                "bootstrap": {"initdb": {"database": d.svc.database, "owner": d.name}},
                "postgresql": {"parameters": {"max_connections": str(connections)}},
                "storage": {"size": DATABASE_SIZE},
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
            }}


def _env(d: Deployed, app: bool) -> list[dict]:
    """DATABASE_URL from CloudNativePG's secret of the service's Cluster (`<cluster>-app`); the service itself
    (`app`, not its migration) also the JWT keys from Secrets, the gateway its signing keys and upstreams."""
    secret = f"{d.database_cluster}-app"
    env = [
        {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": secret, "key": "username"}}},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}},
        {"name": "DATABASE_URL", "value": f"postgresql+asyncpg://$(DB_USER):$(DB_PASSWORD)@"
                                          f"{d.database_cluster}-rw:5432/{d.svc.database}"},
    ]
    if not app:
        return env
    env += [{"name": "HTTP_PORT", "value": str(d.svc.http_port)},
            {"name": "JWT_KEYS", "valueFrom": {"secretKeyRef": {"name": JWT_SECRET, "key": "JWT_KEYS"}}}]
    if d.name == "gateway":
        env.append({"name": "JWT_SIGNING_KEYS",
                    "valueFrom": {"secretKeyRef": {"name": SIGNING_SECRET, "key": "JWT_SIGNING_KEYS"}}})
        env += [{"name": s.url_env, "value": s.url(host=s.name)} for s in registry.backends()]
    return env


def _container(d: Deployed, name: str, command: list[str], resources: dict, *, app: bool = False) -> dict:
    return {"name": name, "image": IMAGE.format(name=d.svc.package), "command": command,
            "envFrom": [{"configMapRef": {"name": CONFIG_MAP}}], "env": _env(d, app), "resources": resources,
            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]}


def _pod(d: Deployed, containers: list[dict], **extra) -> dict:
    return {"automountServiceAccountToken": False, "enableServiceLinks": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": containers, "volumes": [{"name": "tmp", "emptyDir": {}}], **extra}


def _http_get(path: str) -> dict:
    return {"httpGet": {"path": path, "port": "http"}}


def deployment(d: Deployed) -> dict:
    pkg = d.svc.package
    app = _container(d, pkg, [PYTHON, "-m", pkg], {
        "requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}, app=True)
    app["ports"] = [{"name": "http", "containerPort": d.svc.http_port}]
    # /health: the process answers; /ready: its database and Kafka answer (shared/service.py). The start-up
    # waits up to KAFKA_STARTUP_TIMEOUT_SECONDS (60 s) for Kafka before the first answer.
    app["startupProbe"] = {**_http_get("/health"), "periodSeconds": 5, "failureThreshold": 24}
    app["livenessProbe"] = {**_http_get("/health"), "periodSeconds": 10, "timeoutSeconds": 3,
                            "failureThreshold": 3}
    app["readinessProbe"] = {**_http_get("/ready"), "periodSeconds": 5, "timeoutSeconds": 5,
                             "failureThreshold": 2}
    # Out of the Service's endpoints before the process stops taking requests.
    app["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "5"]}}}
    wait = _container(d, "wait-for-migration", [PYTHON, "-m", "shared.migrations", "wait", d.name],
                      {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}})
    labels = _labels(d.name)
    spread = {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
              "labelSelector": {"matchLabels": _selector(d)}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": d.name, "labels": labels}, "spec": {
        "replicas": MIN_REPLICAS,
        "selector": {"matchLabels": _selector(d)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": labels, "annotations": {
                "prometheus.io/scrape": "true", "prometheus.io/port": str(d.svc.http_port),
                "prometheus.io/path": "/metrics"}},
            "spec": _pod(d, [app], initContainers=[wait], terminationGracePeriodSeconds=40,
                         topologySpreadConstraints=[spread]),
        }}}


def migration_job(d: Deployed) -> dict:
    job = _container(d, "migrate", [PYTHON, "-m", "shared.migrations", "upgrade", d.name],
                     {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {
        "name": f"{d.name}-migrate", "labels": _labels(d.name, "migration"),
        # Argo CD runs it before the sync that rolls the Deployment out, replacing the last one; with plain
        # kubectl see deploy/k8s/README.md.
        "annotations": {"argocd.argoproj.io/hook": "PreSync",
                        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}},
        "spec": {"backoffLimit": 4, "activeDeadlineSeconds": 900, "ttlSecondsAfterFinished": 600,
                 "template": {"metadata": {"labels": _labels(d.name, "migration")},
                              "spec": _pod(d, [job], restartPolicy="OnFailure")}}}


def service(d: Deployed) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": d.name, "labels": _labels(d.name)},
            "spec": {"selector": _selector(d),
                     "ports": [{"name": "http", "port": d.svc.http_port, "targetPort": "http"}]}}


def autoscaler(d: Deployed) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": d.name, "labels": _labels(d.name)}, "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": d.name},
                "minReplicas": MIN_REPLICAS, "maxReplicas": d.max_replicas,
                "metrics": [{"type": "Resource", "resource": {
                    "name": "cpu", "target": {"type": "Utilization", "averageUtilization": CPU_TARGET}}}],
                # Every change of instances rebalances the service's consumer groups: scale down slowly.
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300,
                                           "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}},
            }}


def disruption_budget(d: Deployed) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": d.name, "labels": _labels(d.name)},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": _selector(d)}}}


def lag_component(services: list[Deployed]) -> str:
    """A Kustomize component adding consumer lag (an External metric, per instance) to the autoscalers of the
    services that consume; the adapter that serves it is in docs/scaling.md."""
    patches = []
    for d in services:
        if not d.consumes:
            continue
        metric = {"type": "External", "external": {
            "metric": {"name": LAG_METRIC, "selector": {"matchLabels": {"service": d.name}}},
            "target": {"type": "AverageValue", "averageValue": LAG_PER_REPLICA}}}
        ops = [{"op": "add", "path": "/spec/metrics/-", "value": metric}]
        patches.append({"target": {"group": "autoscaling", "version": "v2", "kind": "HorizontalPodAutoscaler",
                                   "name": d.name}, "patch": _yaml(ops)})
    return HEADER + _yaml({"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component", "patches": patches})


def kustomization(services: list[Deployed]) -> str:
    return HEADER + _yaml({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "labels": [{"pairs": {"app.kubernetes.io/part-of": "aftersales"}}],
        "resources": ["config.yaml", "kafka.yaml", "topics.yaml", "manufacturer.yaml", "databases.yaml",
                      *(f"services/{d.name}.yaml" for d in services)],
    })


def render() -> dict[Path, str]:
    services = deployed()
    base = K8S / "base"
    files = {
        base / "kustomization.yaml": kustomization(services),
        base / "config.yaml": _dump(config_map()),
        base / "topics.yaml": _dump(*(kafka_topic(t) for t in catalogue())),
        base / "manufacturer.yaml": _dump(manufacturer_user()),
        base / "databases.yaml": _dump(*(database(d) for d in services)),
        K8S / "components" / "consumer-lag" / "kustomization.yaml": lag_component(services),
    }
    for d in services:
        files[base / "services" / f"{d.name}.yaml"] = _dump(
            deployment(d), service(d), autoscaler(d), disruption_budget(d), migration_job(d))
    return files


def main() -> None:
    for path, text in render().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":
    main()
