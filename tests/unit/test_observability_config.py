"""deploy/observability/: promtool accepts the Prometheus configurations and the alert rules, each alert fires
on its made-up series (alerts_test.yml), and every metric the alerts and the Grafana dashboard use is one a
service exposes."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import shared.registry as registry
import yaml
from prometheus_client import REGISTRY

from deploy.local_prometheus import config_yaml

ROOT = Path(__file__).resolve().parents[2]
OBS = ROOT / "deploy/observability"
PROMTOOL = shutil.which("promtool")  # Debian's prometheus package, installed by ./run's bootstrap
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (./run test installs it)")

PROMQL_WORDS = {"sum", "by", "rate", "increase", "delta", "deriv", "histogram_quantile", "max", "min", "and", "or",
                "le", "without", "on", "ignoring", "unless", "avg", "count"}


def promtool(*args: str, cwd: Path = OBS) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@needs_promtool
def test_promtool_accepts_the_compose_config_and_the_alert_rules():
    r = promtool("check", "config", "prometheus.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    r = promtool("check", "rules", "alerts.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 5 rules found" in r.stdout


@needs_promtool
def test_promtool_accepts_the_config_run_start_writes(tmp_path):
    targets = {s.name: f"127.0.0.1:{s.http_port}" for s in registry.SERVICES}
    (tmp_path / "prometheus.yml").write_text(config_yaml(targets))
    r = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 5 rules found" in r.stdout  # the repo's alerts.yml, by its path


@needs_promtool
def test_each_alert_fires_on_its_made_up_series():
    r = promtool("test", "rules", "alerts_test.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    tested = set(re.findall(r"alertname: (\w+)", (OBS / "alerts_test.yml").read_text()))
    assert tested == {rule["alert"] for rule in _rules()}


@needs_promtool
def test_a_broken_rule_is_refused(tmp_path):
    """The check can fail: a rule naming a label that is not there still parses, a bad expression does not."""
    (tmp_path / "bad.yml").write_text("groups: [{name: g, rules: [{alert: X, expr: 'sum by (service) (up'}]}]\n")
    assert promtool("check", "rules", "bad.yml", cwd=tmp_path).returncode != 0


def _rules() -> list[dict]:
    return [r for g in yaml.safe_load((OBS / "alerts.yml").read_text())["groups"] for r in g["rules"]]


def _dashboard_exprs() -> list[str]:
    d = json.loads((OBS / "grafana-operations.json").read_text())
    return [t["expr"] for p in d["panels"] for t in p["targets"]]


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression: identifiers not followed by '(' that are not keywords,
    label names (inside braces or by/without lists) or strings."""
    expr = re.sub(r'"[^"]*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", expr))
    return {n for n in names if n not in PROMQL_WORDS and not n.isdigit()}


def exposed_metrics() -> set[str]:
    """Every sample name the services' code registers (each service's app imported), and Prometheus' own `up`."""
    for s in registry.SERVICES:
        importlib.import_module(f"{s.package}.main")
    names = {"up"}
    for m in REGISTRY.collect():
        names |= {smp.name for smp in m.samples} | {m.name, m.name + "_total", m.name + "_bucket"}
    return names


def test_every_metric_the_alerts_and_the_dashboard_use_is_exposed():
    used = {n for e in [r["expr"] for r in _rules()] + _dashboard_exprs() for n in metric_names(e)}
    assert {"kafka_consumer_lag", "outbox_oldest_unsent_age_seconds", "kafka_dead_letters_total",
            "http_requests_total", "aftersales_repair_orders_opened_total", "up"} <= used
    missing = used - exposed_metrics()
    assert not missing, f"alerts or dashboard use metrics no service exposes: {sorted(missing)}"


def test_the_metric_name_reader_sees_a_misspelt_metric():
    assert metric_names('sum by (service) (rate(http_request_total{status=~"5.."}[5m]))') == {"http_request_total"}
