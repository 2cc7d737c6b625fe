"""The gateway's tables: users and their roles. It owns no business data."""

from __future__ import annotations

from datetime import datetime

from shared.db import new_registry, tz_column, utcnow
from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

registry = new_registry()


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata


class UserRow(Base, table=True):
    __tablename__ = "users"

    username: str = Field(primary_key=True, max_length=64)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=300)
    dealer_group_id: str = Field(index=True, max_length=64)
    roles: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    store_ids: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())
