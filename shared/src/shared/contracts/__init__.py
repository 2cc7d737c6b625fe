"""Event contracts: one pydantic model per event type, every service imports them from here."""

from . import claims, crm, organisation, parts, reception, workshop
from .base import EVENT_TYPES, DomainEvent, event, event_class, json_schemas

TOPICS: tuple[str, ...] = tuple(sorted({cls.topic for cls in EVENT_TYPES.values()}))

__all__ = [
    "EVENT_TYPES",
    "TOPICS",
    "DomainEvent",
    "claims",
    "crm",
    "event",
    "event_class",
    "json_schemas",
    "organisation",
    "parts",
    "reception",
    "workshop",
]
