"""Generate the API documents from the code: OpenAPI per service, AsyncAPI 3.1 for the events,
and one JSON Schema per event type; and from the service registry Prometheus' scrape targets and the
Kubernetes manifests that follow from it (deploy/k8s_gen.py). Run by `./run docs`; tests check the files
are current."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import shared.registry as registry
import yaml
from shared.contracts import claims

sys.path.insert(0, str(Path(__file__).resolve().parent))  # asyncapi_spec and k8s_gen beside this file

import k8s_gen

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OBSERVABILITY = ROOT / "deploy" / "observability"
MANUFACTURER = "manufacturer"  # the one party outside the platform: it reads claims' OEM topic, answers on its own

# Who reads which topic: the services' `reads` in shared/registry.py, plus the manufacturer.
EXTERNAL_READERS = {claims.OEM_CLAIMS: [MANUFACTURER]}


def readers(topic: str) -> list[str]:
    by_port = sorted(registry.readers_of(topic), key=lambda s: s.http_port)
    return [s.name for s in by_port] + EXTERNAL_READERS.get(topic, [])


def consumers() -> dict[str, list[str]]:
    from shared.contracts import TOPICS

    return {topic: readers(topic) for topic in TOPICS}


def producer(topic: str) -> str:
    svc = registry.producer_of(topic)
    return svc.name if svc else MANUFACTURER


def _factory(svc: registry.Service):
    module, _, name = svc.app_factory.partition(":")
    return getattr(importlib.import_module(module), name)


def openapi() -> dict[str, dict]:
    out = {}
    for svc in registry.by_port():
        out[svc.name] = _factory(svc)().openapi()
    return out


def asyncapi() -> dict:
    from asyncapi_spec import build
    from shared.contracts import EVENT_TYPES

    return build(EVENT_TYPES, consumers=consumers(), producer=producer)


def prometheus_yml() -> str:
    """deploy/observability/prometheus.yml: every service's /metrics, by its compose name and port."""
    targets = ", ".join(f'"{s.name}:{s.http_port}"' for s in registry.by_port())
    return f"""\
# Scrapes every service's /metrics. Local ports match ./run start; in docker compose the
# service names resolve (see docker-compose.yml, profile "observability").
# Generated from shared/src/shared/registry.py by deploy/gen_docs.py (./run docs): edit those.
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: aftersales
    metrics_path: /metrics
    static_configs:
      - targets: [{targets}]
rule_files: ["alerts.yml"]
"""


def render() -> dict[Path, str]:
    from shared.contracts import json_schemas

    files: dict[Path, str] = {}
    for svc, spec in openapi().items():
        files[DOCS / "openapi" / f"{svc}.json"] = json.dumps(spec, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    files[DOCS / "asyncapi.yaml"] = yaml.safe_dump(asyncapi(), allow_unicode=True, sort_keys=False, width=110)
    for name, schema in json_schemas().items():
        files[DOCS / "events" / f"{name}.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    files[OBSERVABILITY / "prometheus.yml"] = prometheus_yml()
    files.update(k8s_gen.render())
    return files


def main() -> None:
    files = render()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} files under {DOCS.relative_to(ROOT)}/, {OBSERVABILITY.relative_to(ROOT)}/ and "
          f"{k8s_gen.K8S.relative_to(ROOT)}/", file=sys.stderr)


if __name__ == "__main__":
    main()
