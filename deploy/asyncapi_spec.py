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


_OEM_HEADERS = {"ce_specversion": "1.0", "ce_id": "6d0f6c1e-2b7a-4f3e-9a51-3c1d2e4f5a6b",
                "ce_source": "claims", "ce_time": "2026-12-01T02:00:00Z", "content-type": "application/json",
                "ce_dealergroup": "dg-east", "ce_store": "s-shanghai-01"}
_CLAIM_LINE = {"line_no": 1, "operation_code": "WP-01", "failure": "water pump leaking at the seal",
               "causal_part_no": "WP-100", "labour_hours": "1.2", "labour_amount": "360.00", "part_nos": ["WP-100"],
               "parts_amount": "512.50", "amount": "872.50", "needs_manufacturer_decision": False}
# Examples for the manufacturer's messages (the public contract), as an outside team would send or receive them.
EXAMPLES: dict[str, list[dict]] = {
    "oem.WarrantyClaimSubmitted.v2": [{"name": "claim", "summary": "A claim with one warranty line",
                                       "headers": {**_OEM_HEADERS, "ce_type": "oem.WarrantyClaimSubmitted.v2",
                                                   "ce_subject": "WC-3F2A9C1B7D4E"},
                                       "payload": {"claim_number": "WC-3F2A9C1B7D4E", "submission": 1,
                                                   "dealer_code": "s-shanghai-01", "vin": "LSVAU2180N2183294",
                                                   "repair_date": "2026-12-01", "odometer_km": 21500,
                                                   "lines": [_CLAIM_LINE], "labour_amount": "360.00",
                                                   "parts_amount": "512.50", "amount": "872.50"}}],
    "oem.WarrantyClaimSubmitted.v1": [{"name": "claim", "summary": "A claim, version 1 (totals only)",
                                       "payload": {"claim_number": "WC-3F2A9C1B7D4E", "dealer_code": "s-shanghai-01",
                                                   "vin": "LSVAU2180N2183294", "repair_date": "2026-12-01",
                                                   "odometer_km": 21500, "operation_codes": ["WP-01"],
                                                   "part_nos": ["WP-100"], "labour_amount": "360.00",
                                                   "parts_amount": "512.50"}}],
    "oem.WarrantyClaimDecided.v2": [
        {"name": "partly_approved", "summary": "Line 1 cut for excessive labour; old parts wanted back",
         "headers": {**_OEM_HEADERS, "ce_source": "manufacturer", "ce_type": "oem.WarrantyClaimDecided.v2",
                     "ce_subject": "WC-3F2A9C1B7D4E"},
         "payload": {"claim_number": "WC-3F2A9C1B7D4E", "submission": 1, "decision": "partly_approved",
                     "lines": [{"line_no": 1, "approved_amount": "812.50", "reason_code": "excessive_labour"}],
                     "reason_codes": [], "return_parts_by": "2026-12-15"}},
        {"name": "returned_for_correction", "summary": "Sent back: correct and submit again",
         "payload": {"claim_number": "WC-3F2A9C1B7D4E", "submission": 1, "decision": "returned_for_correction",
                     "lines": [], "reason_codes": [], "correction_note": "state the causal part"}},
        {"name": "rejected", "summary": "Rejected with a reason code",
         "payload": {"claim_number": "WC-3F2A9C1B7D4E", "submission": 2, "decision": "rejected", "lines": [],
                     "reason_codes": ["submitted_late"]}}],
    "oem.WarrantyClaimDecided.v1": [{"name": "approved", "summary": "Approved in full, version 1",
                                     "payload": {"claim_number": "WC-3F2A9C1B7D4E", "decision": "approved",
                                                 "approved_amount": "872.50", "reason_codes": []}}],
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
                **({"examples": EXAMPLES[t]} if t in EXAMPLES else {}),
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
