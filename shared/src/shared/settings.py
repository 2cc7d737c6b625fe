"""Settings from environment variables (pydantic-settings). Defaults match the local scripts."""

from __future__ import annotations

import json

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The development signing key: public (it is in this file), so only DEV_MODE accepts tokens signed with
# it. Production sets JWT_KEYS (every service: the public keys) and JWT_SIGNING_KEYS (the gateway only).
DEV_KEY_ID = "dev-1"
DEV_SIGNING_JWK = {"kty": "EC", "crv": "P-256", "kid": DEV_KEY_ID, "alg": "ES256", "use": "sig",
                   "x": "2-Hs8xoQWcRIdWM_fK_LPr6g9HUy8vwrihQZ_NwMliw",
                   "y": "CyG2mxclMq4R93pOmqdhfJmN0J-8g6BV-dwgArcquXQ",
                   "d": "Rt8re3B65iiThXPFX9x8ES1aLRb3v1-_NNZv8AiTXMA"}
DEV_SIGNING_KEYS = json.dumps({"keys": [DEV_SIGNING_JWK]})
DEV_JWT_KEYS = json.dumps({"keys": [{k: v for k, v in DEV_SIGNING_JWK.items() if k != "d"}]})


class InsecureSettings(RuntimeError):
    """Settings a service refuses to start with."""


class ServiceSettings(BaseSettings):
    """Every service's settings. Each field reads the upper-case env var of its name."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = Field(description="Service name: logs, traces, CloudEvents source, consumer group.")
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    database_url: str = Field(
        default="", description="SQLAlchemy async URL, e.g. postgresql+asyncpg://postgres@127.0.0.1:55432/crm"
    )
    kafka_bootstrap_servers: str = "127.0.0.1:59092"
    kafka_group_prefix: str = Field(default="", description="Prefix of this environment's consumer group ids")
    kafka_group_instance_id: str = Field(default="", description=(
        "This process's name among its service's instances, unique and stable across restarts (the launcher: "
        "service@host:port). Set, the consumers are static group members: a restarted instance takes its "
        "partitions back at once instead of waiting for its old session to time out. Empty: dynamic members"))
    kafka_partitions: int = Field(default=3, description="Partitions of topics this service creates")
    kafka_replication_factor: int = Field(default=1, description="3 on a three-broker cluster")
    jwt_keys: str = Field(default=DEV_JWT_KEYS, description=(
        "JWKS JSON ({\"keys\": [...]}) of the public ES256 keys tokens may be signed with, each with its kid; "
        "the same for the gateway and every service. Rotation: add the new key, later drop the old one"))
    dev_mode: bool = Field(default=False, description="Development only: allows the public development "
                           "signing key (./run start and the tests set DEV_MODE=1)")
    jwt_issuer: str = "aftersales-gateway"
    jwt_ttl_seconds: int = Field(default=900, description="Lifetime of an access token (refresh tokens renew it)")
    revocation_cache_seconds: float = Field(default=2.0, ge=0, description=(
        "How long a service trusts its cached verdict on a token's session and user (shared.kit.organisation): "
        "a revocation at the gateway takes effect here within this plus the event's trip"))
    clock_file: str = Field(default="", description=(
        "Development only (./run start --demo): read business time from this JSON file (shared.clock.FileClock) "
        "so the demo loader can run weeks of history; real time while the file is missing. Empty: the system "
        "clock. Token expiry, sessions and rate limits stay on real time either way"))
    log_level: str = "INFO"
    log_json: bool = True
    otel_exporter_otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP endpoint; none = no export")
    run_outbox_relay: bool = Field(default=True, description="Run the outbox relay inside this process")
    outbox_batch_size: int = 200
    outbox_retention_hours: float = Field(default=72.0, description="Published outbox rows are deleted after this")
    outbox_poll_seconds: float = Field(default=1.0, description="Fallback poll when no NOTIFY arrives")
    consumer_max_attempts: int = Field(default=3, description="Handler attempts before a message is dead-lettered")
    consumer_retry_backoff_seconds: float = 0.2
    consumer_lag_poll_seconds: float = Field(default=15.0, ge=0, description="How often the consumer lag "
                                             "gauge is read from the broker's committed offsets (0: never)")
    consumer_batch_size: int = Field(default=100, ge=1, description="Records handled per transaction (1 = each alone)")
    kafka_startup_timeout_seconds: float = 60.0

    @field_validator("jwt_keys", mode="before")
    @classmethod
    def _a_key_set(cls, v: str) -> str:
        if not v:  # an empty JWT_KEYS (docker compose's default) means the development key
            return DEV_JWT_KEYS
        from .auth import parse_key_set

        parse_key_set(v)  # a malformed key set stops the service at start, not at its first request
        return v

    @property
    def uses_development_key(self) -> bool:
        from .auth import parse_key_set

        dev = parse_key_set(DEV_JWT_KEYS).keys[DEV_KEY_ID].public_numbers()
        return any(k.public_numbers() == dev for k in parse_key_set(self.jwt_keys).keys.values())

    def refuse_development_secret(self) -> None:
        """A service outside development must not accept tokens signed with a key anyone can read."""
        if self.uses_development_key and not self.dev_mode:
            raise InsecureSettings(
                f"{self.service_name}: JWT_KEYS holds the public development key ({DEV_KEY_ID!r}). Set JWT_KEYS "
                "to the gateway's public key set (JWKS JSON, the same for every service), or set DEV_MODE=1 "
                "on a development machine.")

    @property
    def dsn(self) -> str:
        """libpq-style DSN for asyncpg's own connections (LISTEN)."""
        from .db import asyncpg_dsn

        return asyncpg_dsn(self.database_url)
