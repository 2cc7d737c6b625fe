"""Tables every service database has: outbox, inbox, idempotency keys.

Core tables (not SQLModel classes) so each service's own metadata can carry a copy.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

# Constraint names Alembic can rely on (every service metadata uses them).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def add_plumbing_tables(metadata: MetaData) -> None:
    outbox = Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=False), primary_key=True, comment="the CloudEvents id"),
        Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("aggregate_type", String(100), nullable=False),
        Column("aggregate_id", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
    )
    Index(
        "ix_outbox_unpublished",
        outbox.c.seq,
        postgresql_where=outbox.c.published_at.is_(None),
    )
    Index("ix_outbox_aggregate_unpublished", outbox.c.aggregate_id, outbox.c.seq,
          postgresql_where=outbox.c.published_at.is_(None))
    Table(
        "inbox",
        metadata,
        Column("consumer", String(100), nullable=False),
        Column("event_id", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    Table(
        "idempotency_keys",
        metadata,
        Column("key", String(200), nullable=False),
        Column("principal", String(200), nullable=False),
        Column("method", String(10), nullable=False),
        Column("path", String(500), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("response", JSONB, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("principal", "key", name="pk_idempotency_keys"),
    )


def add_audit_table(metadata: MetaData) -> None:
    """The audit trail: one row per change of an aggregate, written in the change's transaction —
    who (user, roles, stores), when, which command, what changed from what to what, the correlation id.

    Kept apart from `add_plumbing_tables`: the first migrations of existing services call that one,
    and the audit table came later, in a revision of its own (`create_audit_table`)."""
    audit = Table(
        "audit_log",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("aggregate_type", String(100), nullable=False),
        Column("aggregate_id", String(200), nullable=False),
        Column("dealer_group_id", String(64), nullable=False),
        Column("store_id", String(64), nullable=False),
        Column("version", Integer, nullable=False),
        Column("command", String(200), nullable=True),
        Column("actor_id", String(200), nullable=False),
        Column("actor_name", String(200), nullable=False),
        Column("actor_roles", JSONB, nullable=False),
        Column("actor_stores", JSONB, nullable=False),
        Column("correlation_id", String(200), nullable=True),
        Column("changes", JSONB, nullable=False),
    )
    Index("ix_audit_log_aggregate", audit.c.aggregate_type, audit.c.aggregate_id, audit.c.id)


def create_audit_table(op) -> None:
    """Migration step: the audit trail's table."""
    md = MetaData(naming_convention=NAMING)
    add_audit_table(md)
    md.create_all(op.get_bind())


def drop_audit_table(op) -> None:
    op.drop_table("audit_log")


def add_organisation_tables(metadata: MetaData) -> None:
    """What every backend service keeps of the gateway's organisation (shared.kit.organisation): the
    dealer group's stores, and what ends tokens early (revoked sessions, each user's current access)."""
    Table(
        "known_stores",
        metadata,
        Column("dealer_group_id", String(64), nullable=False),
        Column("store_id", String(64), nullable=False),
        Column("name", String(200), nullable=False),
        Column("brand", String(100), nullable=False),
        Column("city", String(100), nullable=False),
        Column("time_zone", String(64), nullable=False),
        Column("opening_hours", JSONB, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("dealer_group_id", "store_id", name="pk_known_stores"),
    )
    Table(
        "revoked_sessions",
        metadata,
        Column("session_id", String(64), primary_key=True),
        Column("user_id", String(64), nullable=False),
        Column("dealer_group_id", String(64), nullable=False),
        Column("reason", String(100), nullable=False),
        Column("revoked_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "user_access",
        metadata,
        Column("user_id", String(64), primary_key=True),
        Column("dealer_group_id", String(64), nullable=False),
        Column("roles", JSONB, nullable=False),
        Column("store_ids", JSONB, nullable=False),
        Column("active", Boolean, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


ORGANISATION_TABLES = ("known_stores", "revoked_sessions", "user_access")


def create_organisation_tables(op) -> None:
    """Migration step: the organisation replica's tables (one revision per backend service)."""
    md = MetaData(naming_convention=NAMING)
    add_organisation_tables(md)
    md.create_all(op.get_bind())


def drop_organisation_tables(op) -> None:
    for name in reversed(ORGANISATION_TABLES):
        op.drop_table(name)


# Statement-level trigger: one NOTIFY per insert statement wakes the relay without polling.
# One statement per string: asyncpg prepares each, and a prepared statement holds one command.
OUTBOX_NOTIFY_DDL = (
    """CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()""",
)

OUTBOX_NOTIFY_DROP = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS outbox_notify()",
)


def create_outbox_notify(op) -> None:
    """Migration step: wake relays on insert."""
    for stmt in OUTBOX_NOTIFY_DDL:
        op.execute(stmt)


def drop_outbox_notify(op) -> None:
    for stmt in OUTBOX_NOTIFY_DROP:
        op.execute(stmt)


def create_plumbing_schema(connection) -> None:
    """Outbox (with its NOTIFY trigger), inbox, idempotency keys on a (sync) connection — defined
    once, here: every service's first migration and the tests' scratch databases use it."""
    md = MetaData(naming_convention=NAMING)
    add_plumbing_tables(md)
    md.create_all(connection)
    for stmt in OUTBOX_NOTIFY_DDL:
        connection.exec_driver_sql(stmt)


def create_plumbing_tables(op) -> None:
    """Migration step of every service's first revision."""
    create_plumbing_schema(op.get_bind())


def drop_plumbing_tables(op) -> None:
    drop_outbox_notify(op)
    md = MetaData(naming_convention=NAMING)
    add_plumbing_tables(md)
    md.drop_all(op.get_bind())


def outbox_table(_session=None) -> Table:
    """The outbox table as a Core object (same shape in every service database)."""
    return _STANDALONE.tables["outbox"]


def inbox_table() -> Table:
    return _STANDALONE.tables["inbox"]


def idempotency_table() -> Table:
    return _STANDALONE.tables["idempotency_keys"]


def audit_table() -> Table:
    return _STANDALONE.tables["audit_log"]


def organisation_table(name: str) -> Table:
    """One of ORGANISATION_TABLES as a Core object (same shape in every backend's database)."""
    return _STANDALONE.tables[name]


_STANDALONE = MetaData()
add_plumbing_tables(_STANDALONE)
add_audit_table(_STANDALONE)
add_organisation_tables(_STANDALONE)
