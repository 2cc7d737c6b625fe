"""The base of every domain event and the registry of event types.

An event type is a past-tense name with a version (`RepairOrderOpened.v1`). A changed
payload is a new version; consumers keep accepting the old one until it is retired.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

E = TypeVar("E", bound="DomainEvent")

EVENT_TYPES: dict[str, type[DomainEvent]] = {}


class DomainEvent(BaseModel):
    """Payload of a domain event. Tenancy, ids and times travel in the envelope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    aggregate_type: ClassVar[str]
    key_field: ClassVar[str]

    @property
    def aggregate_id(self) -> str:
        return str(getattr(self, self.key_field))


def event(topic: str, name: str, version: int, *, aggregate: str, key: str) -> Callable[[type[E]], type[E]]:
    """Register a payload model as event type `name.v<version>` on `topic`, keyed by field `key`."""

    def register(cls: type[E]) -> type[E]:
        if key not in cls.model_fields:
            raise TypeError(f"{cls.__name__} has no key field {key!r}")
        cls.event_type = f"{name}.v{version}"
        cls.topic = topic
        cls.aggregate_type = aggregate
        cls.key_field = key
        if cls.event_type in EVENT_TYPES:
            raise TypeError(f"event type {cls.event_type} registered twice")
        EVENT_TYPES[cls.event_type] = cls
        return cls

    return register


def event_class(event_type: str) -> type[DomainEvent] | None:
    return EVENT_TYPES.get(event_type)


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every registered event type, keyed by event type."""
    out: dict[str, dict[str, Any]] = {}
    for name, cls in sorted(EVENT_TYPES.items()):
        schema = cls.model_json_schema()
        schema["$id"] = f"urn:aftersales:event:{name}"
        schema["x-topic"] = cls.topic
        schema["x-aggregate"] = cls.aggregate_type
        schema["x-key"] = cls.key_field
        out[name] = schema
    return out
