"""The AsyncAPI 3.1 document of the platform's events, written from the contracts registry.

Each message's payload is its contract's JSON Schema, with the models it shares (enums, part
lines, jobs) hoisted into `components.schemas` so every `$ref` resolves from the document root:
the official parser (`@asyncapi/parser`, Spectral's AsyncAPI ruleset) must accept it with no error
and no warning (tests/unit/test_asyncapi_official_parser.py). Descriptions come from the event
classes' docstrings. Which topics a manufacturer may read is stated per channel (the PII rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import shared.registry as registry

REF = "#/components/schemas/{model}"
PUBLIC_TOPICS = frozenset({"oem.warranty-claims", "oem.warranty-decisions"})

SERVICE_TAGS = {
    **{s.name: s.summary for s in registry.by_port()},
    "manufacturer": "The car maker's systems: they read warranty claims and send back decisions.",
}

CE_HEADERS: dict[str, Any] = {
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


def _doc(cls: type) -> str:
    return " ".join((cls.__doc__ or "").split())


def _mid(event_type: str) -> str:
    return event_type.replace(".", "_")


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_").replace("-", "_")


def message_schemas(event_types: Mapping[str, type]) -> tuple[dict[str, dict], dict[str, dict]]:
    """(payload per event type, shared component schemas): refs point at components.schemas."""
    payloads: dict[str, dict] = {}
    shared: dict[str, dict] = {}
    for name, cls in sorted(event_types.items()):
        schema = cls.model_json_schema(ref_template=REF)
        for model, sub in schema.pop("$defs", {}).items():
            if model in shared and shared[model] != sub:
                raise ValueError(f"two different schemas are both called {model!r}")
            shared[model] = sub
        schema["description"] = _doc(cls) or schema.get("description", name)
        payloads[name] = schema
    return payloads, shared


def _privacy(topic: str) -> str:
    if topic in PUBLIC_TOPICS:
        return ("Public contract with the manufacturer: carries no customer personal data "
                "(no names, phones or addresses).")
    return "Internal to the platform: may carry customer personal data; never exposed to manufacturers."


def _channel(topic: str, types: list[str], producer: str, readers: list[str]) -> dict:
    return {
        "address": topic,
        "title": topic,
        "description": (f"Published by {producer}; read by {', '.join(readers) or 'nobody yet'}. "
                        f"Keyed by the aggregate id, so one aggregate's events keep their order. "
                        f"Poison messages go to {topic}.dlq. {_privacy(topic)}"),
        "messages": {_mid(t): {"$ref": f"#/components/messages/{_mid(t)}"} for t in types},
        "tags": [{"name": "manufacturer-public" if topic in PUBLIC_TOPICS else "internal"}],
    }


def _operations(topic: str, types: list[str], producer: str, readers: list[str],
                event_types: Mapping[str, type]) -> dict[str, dict]:
    cid = _channel_id(topic)
    refs = [{"$ref": f"#/channels/{cid}/messages/{_mid(t)}"} for t in types]
    listing = "; ".join(f"{t}: {_doc(event_types[t]) or 'see the message'}" for t in types)
    ops = {f"{producer}_publishes_{cid}": {
        "action": "send", "channel": {"$ref": f"#/channels/{cid}"}, "messages": refs,
        "summary": f"{producer} publishes to {topic}",
        "description": (f"Written to {producer}'s transactional outbox in the same database transaction as "
                        f"the change, then relayed to Kafka (at least once). {listing}"),
        "tags": [{"name": producer}],
    }}
    for reader in readers:
        ops[f"{reader}_reads_{cid}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{cid}"}, "messages": refs,
            "summary": f"{reader} consumes {topic}",
            "description": (f"{reader} records each event id in its inbox in the transaction of its own change, "
                            f"so a redelivered event has no second effect; a message it cannot handle after "
                            f"bounded retries goes to {topic}.dlq."),
            "tags": [{"name": reader}],
        }
    return ops


def build(event_types: Mapping[str, type], *, consumers: Mapping[str, list[str]],
          producer: Callable[[str], str], version: str = "1.0.0") -> dict:
    """The whole document; `consumers[topic]` names the readers, `producer(topic)` the writer."""
    payloads, shared = message_schemas(event_types)
    channels, operations, messages = {}, {}, {}
    for topic in sorted({c.topic for c in event_types.values()}):
        types = sorted(t for t, c in event_types.items() if c.topic == topic)
        readers = list(consumers.get(topic, []))
        channels[_channel_id(topic)] = _channel(topic, types, producer(topic), readers)
        operations.update(_operations(topic, types, producer(topic), readers, event_types))
        for t in types:
            cls = event_types[t]
            messages[_mid(t)] = {
                "name": t, "title": t, "summary": _doc(cls).split(". ")[0] or t,
                "description": _doc(cls) or t,
                "contentType": "application/json",
                "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
                "payload": payloads[t],
                "bindings": {"kafka": {"key": {"type": "string", "description": f"the {cls.key_field}"},
                                       "bindingVersion": "0.5.0"}},
            }
    return {
        "asyncapi": "3.1.0",
        "info": {
            "title": "After-sales platform events",
            "version": version,
            "description": ("Domain events between the after-sales services of a car dealer group's 4S stores, "
                            "and the public warranty contract with the manufacturer (oem.* topics). Events are "
                            "CloudEvents 1.0 in Kafka binary mode; the value is the payload JSON, the key the "
                            "aggregate id. A changed payload is a new version (`.v2`) published beside the old."),
            "contact": {"name": "After-sales platform team"},
            "license": {"name": "Proprietary"},
            "tags": [{"name": name, "description": text} for name, text in SERVICE_TAGS.items()]
            + [{"name": "manufacturer-public", "description": "Topics a manufacturer reads or writes."},
               {"name": "internal", "description": "Topics only the platform's services read."}],
        },
        "servers": {
            "local": {"host": "127.0.0.1:59092", "protocol": "kafka",
                      "description": "The broker ./run start runs (Apache Kafka 4, KRaft)."},
            "compose": {"host": "kafka:9092", "protocol": "kafka",
                        "description": "The broker inside docker compose's network."},
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages,
                       "schemas": {"CloudEventHeaders": CE_HEADERS, **dict(sorted(shared.items()))}},
    }
