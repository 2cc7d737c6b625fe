"""CloudEvents 1.0 in Kafka binary mode.

Attributes travel as `ce_`-prefixed headers, the value is the event's JSON, the key is the
aggregate id. Our extension attributes: `ce_dealergroup`, `ce_store`, `ce_correlationid`,
`ce_causationid`. W3C `traceparent` rides beside them, as OpenTelemetry propagates it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from shared.contracts import DomainEvent, event_class

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"


def json_bytes(payload: dict[str, Any]) -> bytes:
    """The Kafka value of an event: compact JSON, UTF-8 as is."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class UndecodableMessage(Exception):
    """The message cannot become an event: missing headers, bad JSON, unknown type, bad payload."""


@dataclass(frozen=True)
class Tenant:
    dealer_group_id: str
    store_id: str


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    source: str
    time: datetime
    subject: str
    tenant: Tenant
    correlation_id: str
    causation_id: str | None
    data: dict[str, Any]
    traceparent: str | None = None
    tracestate: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        event: DomainEvent,
        *,
        source: str,
        tenant: Tenant,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        time: datetime | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        eid = event_id or str(uuid.uuid4())
        return cls(
            id=eid,
            type=event.event_type,
            source=source,
            time=time or datetime.now(UTC),
            subject=event.aggregate_id,
            tenant=tenant,
            correlation_id=correlation_id or eid,
            causation_id=causation_id,
            data=event.model_dump(mode="json"),
        )

    # -- Kafka binary mode -------------------------------------------------
    def headers(self) -> list[tuple[str, bytes]]:
        return [(k, v.encode()) for k, v in self.header_values().items()]

    def header_values(self) -> dict[str, str]:
        """The headers as text (the outbox row keeps them so; Kafka gets them encoded, `headers`)."""
        h: dict[str, str | None] = {
            "ce_specversion": SPECVERSION,
            "ce_id": self.id,
            "ce_type": self.type,
            "ce_source": self.source,
            "ce_time": self.time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "ce_subject": self.subject,
            "content-type": CONTENT_TYPE,
            "ce_dealergroup": self.tenant.dealer_group_id,
            "ce_store": self.tenant.store_id,
            "ce_correlationid": self.correlation_id,
            "ce_causationid": self.causation_id,
            "traceparent": self.traceparent,
            "tracestate": self.tracestate,
        }
        h.update(self.extra_headers)
        return {k: v for k, v in h.items() if v is not None}

    def value(self) -> bytes:
        return json_bytes(self.data)

    @classmethod
    def from_kafka(cls, value: bytes | None, headers: list[tuple[str, bytes]] | tuple) -> Envelope:
        try:
            h = {k: v.decode() for k, v in headers if v is not None}
        except UnicodeDecodeError as e:
            raise UndecodableMessage(f"header is not UTF-8: {e}") from e
        missing = [k for k in ("ce_id", "ce_type", "ce_source", "ce_dealergroup", "ce_store") if k not in h]
        if missing:
            raise UndecodableMessage(f"missing CloudEvents headers: {', '.join(missing)}")
        if h.get("ce_specversion") != SPECVERSION:
            raise UndecodableMessage(f"unsupported ce_specversion {h.get('ce_specversion')!r}")
        try:
            data = json.loads(value or b"")
        except (ValueError, UnicodeDecodeError) as e:
            raise UndecodableMessage(f"value is not JSON: {e}") from e
        if not isinstance(data, dict):
            raise UndecodableMessage("value is not a JSON object")
        try:
            time = datetime.fromisoformat(h["ce_time"]) if "ce_time" in h else datetime.now(UTC)
        except ValueError as e:
            raise UndecodableMessage(f"bad ce_time: {e}") from e
        known = {
            "ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject", "content-type",
            "ce_dealergroup", "ce_store", "ce_correlationid", "ce_causationid", "traceparent", "tracestate",
        }
        return cls(
            id=h["ce_id"],
            type=h["ce_type"],
            source=h["ce_source"],
            time=time,
            subject=h.get("ce_subject", ""),
            tenant=Tenant(h["ce_dealergroup"], h["ce_store"]),
            correlation_id=h.get("ce_correlationid", h["ce_id"]),
            causation_id=h.get("ce_causationid"),
            data=data,
            traceparent=h.get("traceparent"),
            tracestate=h.get("tracestate"),
            extra_headers={k: v for k, v in h.items() if k not in known},
        )

    def event(self) -> DomainEvent:
        """The typed payload; UndecodableMessage if the type is unknown or the payload invalid."""
        cls = event_class(self.type)
        if cls is None:
            raise UndecodableMessage(f"unknown event type {self.type!r}")
        try:
            return cls.model_validate(self.data)
        except ValidationError as e:
            raise UndecodableMessage(f"invalid {self.type} payload: {e}") from e
