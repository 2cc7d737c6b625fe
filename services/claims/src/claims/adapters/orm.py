"""claims's tables (its own database). An aggregate's table: id, tenant columns, version, `doc`
(JSONB, the aggregate whole) and the columns its queries filter by."""

from __future__ import annotations

from shared.db import new_registry
from sqlmodel import SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata
