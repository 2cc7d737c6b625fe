"""The gateway's tables: the dealer group, its stores, users, login sessions and refresh tokens."""

from __future__ import annotations

from datetime import datetime

from shared.db import new_registry, tz_column, utcnow
from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

registry = new_registry(organisation_replica=False)  # the gateway owns the organisation


class Base(SQLModel, registry=registry):
    pass


metadata = registry.metadata


class DealerGroupRow(Base, table=True):
    __tablename__ = "dealer_groups"

    id: str = Field(primary_key=True, max_length=64)
    dealer_group_id: str = Field(max_length=64)
    store_id: str = Field(default="", max_length=64)
    name: str = Field(max_length=200)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class StoreRow(Base, table=True):
    __tablename__ = "stores"

    id: str = Field(primary_key=True, max_length=64)
    dealer_group_id: str = Field(index=True, max_length=64)
    store_id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    version: int
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))


class UserRow(Base, table=True):
    """A user: the aggregate as `doc`, the columns login reads beside it, and the password hash (never
    in `doc`, so never in the audit trail)."""

    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=64)  # the username
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=300)
    dealer_group_id: str = Field(index=True, max_length=64)
    store_id: str = Field(default="", max_length=64)
    roles: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    store_ids: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    active: bool = True
    version: int = 1
    doc: dict = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_column())


class LoginSessionRow(Base, table=True):
    """One login: the family of its refresh tokens. Revoked by logout, deactivation or a reused token."""

    __tablename__ = "login_sessions"

    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(index=True, max_length=64)
    dealer_group_id: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=tz_column())
    revoked_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
    revoked_reason: str | None = Field(default=None, max_length=100)


class RefreshTokenRow(Base, table=True):
    __tablename__ = "refresh_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 hex of the token
    session_id: str = Field(index=True, max_length=64)
    issued_at: datetime = Field(sa_column=tz_column())
    expires_at: datetime = Field(sa_column=tz_column())
    spent_at: datetime | None = Field(default=None, sa_column=tz_column(nullable=True))
