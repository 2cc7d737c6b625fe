"""Generate the API documents from the code: OpenAPI per service, AsyncAPI 3.0 for the events,
and one JSON Schema per event type. Run by `./run docs`; a test checks the files are current."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SERVICES = ("gateway", "reception", "workshop", "parts", "claims", "crm")

# Who reads which topic (DESIGN.md's catalogue); producers follow from the topic's prefix.
CONSUMERS = {
    "crm.customers": ["reception", "claims"],
    "reception.appointments": ["parts", "workshop", "crm"],
    "reception.repair-orders": ["workshop", "parts", "claims", "crm"],
    "workshop.jobs": ["reception", "crm"],
    "workshop.catalogue": ["reception"],
    "parts.issues": ["reception", "workshop", "claims"],
    "parts.stock": ["reception"],
    "claims.warranty": ["reception", "crm"],
    "claims.insurance": ["reception"],
    "crm.follow-ups": ["reception"],
    "crm.complaints": ["reception", "gateway"],
    "oem.warranty-claims": ["manufacturer"],
    "oem.warranty-decisions": ["claims"],
}

CE_HEADERS = {
    "type": "object",
    "description": "CloudEvents 1.0 Kafka binary mode attributes and our extensions, plus W3C trace context.",
    "required": ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_dealergroup", "ce_store"],
    "properties": {
        "ce_specversion": {"const": "1.0"},
        "ce_id": {"type": "string", "description": "Event id; consumers deduplicate on it (inbox)."},
        "ce_type": {"type": "string", "description": "Versioned event type, e.g. RepairOrderOpened.v1"},
        "ce_source": {"type": "string", "description": "Producing service"},
        "ce_time": {"type": "string", "format": "date-time"},
        "ce_subject": {"type": "string", "description": "Aggregate id (also the Kafka key)"},
        "content-type": {"const": "application/json"},
        "ce_dealergroup": {"type": "string"},
        "ce_store": {"type": "string"},
        "ce_correlationid": {"type": "string"},
        "ce_causationid": {"type": "string"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
    },
}


def producer(topic: str) -> str:
    if topic == "oem.warranty-decisions":
        return "manufacturer"
    if topic == "oem.warranty-claims":
        return "claims"
    return topic.split(".", 1)[0]


def openapi() -> dict[str, dict]:
    out = {}
    for svc in SERVICES:
        app = importlib.import_module(f"{svc}.main").create_app()
        out[svc] = app.openapi()
    return out


def asyncapi() -> dict:
    from shared.contracts import EVENT_TYPES, json_schemas

    schemas = json_schemas()
    channels, operations, messages = {}, {}, {}
    for topic in sorted({c.topic for c in EVENT_TYPES.values()}):
        types = sorted(t for t, c in EVENT_TYPES.items() if c.topic == topic)
        cid = topic.replace(".", "_").replace("-", "_")
        channels[cid] = {
            "address": topic,
            "description": f"Published by {producer(topic)}; read by {', '.join(CONSUMERS.get(topic, []))}. "
                           f"Poison messages go to {topic}.dlq.",
            "messages": {t.replace(".", "_"): {"$ref": f"#/components/messages/{t.replace('.', '_')}"}
                         for t in types},
        }
        operations[f"publish_{cid}"] = {"action": "send", "channel": {"$ref": f"#/channels/{cid}"},
                                        "summary": f"{producer(topic)} publishes through its outbox"}
        for reader in CONSUMERS.get(topic, []):
            operations[f"{reader}_reads_{cid}"] = {"action": "receive", "channel": {"$ref": f"#/channels/{cid}"},
                                                   "summary": f"{reader} consumes idempotently (inbox)"}
        for t in types:
            schema = dict(schemas[t])
            messages[t.replace(".", "_")] = {
                "name": t, "title": t, "summary": (EVENT_TYPES[t].__doc__ or "").strip().split("\n")[0],
                "contentType": "application/json",
                "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
                "payload": schema,
                "bindings": {"kafka": {"key": {"type": "string", "description": f"{schema['x-key']}"}}},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "After-sales platform events", "version": "1.0.0",
                 "description": "Domain events between the services and the manufacturer contract (oem.*)."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": {"CloudEventHeaders": CE_HEADERS}},
    }


def render() -> dict[Path, str]:
    from shared.contracts import json_schemas

    files: dict[Path, str] = {}
    for svc, spec in openapi().items():
        files[DOCS / "openapi" / f"{svc}.json"] = json.dumps(spec, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    files[DOCS / "asyncapi.yaml"] = yaml.safe_dump(asyncapi(), allow_unicode=True, sort_keys=False, width=110)
    for name, schema in json_schemas().items():
        files[DOCS / "events" / f"{name}.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return files


def main() -> None:
    files = render()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} files under {DOCS.relative_to(ROOT)}/", file=sys.stderr)


if __name__ == "__main__":
    main()
