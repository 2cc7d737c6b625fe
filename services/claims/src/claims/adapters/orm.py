"""This service's tables (its own database)."""

from __future__ import annotations

from shared.db import new_registry
from sqlmodel import SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata
