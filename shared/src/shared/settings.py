"""Settings from environment variables (pydantic-settings). Defaults match the local scripts."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-secret-change-me-0123456789abcdef"


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
    kafka_partitions: int = Field(default=3, description="Partitions of topics this service creates")
    kafka_replication_factor: int = Field(default=1, description="3 on a three-broker cluster")
    jwt_secret: str = Field(default=DEV_JWT_SECRET, min_length=32,
                            description="HS256 key shared by the gateway and every service; set it in production")
    dev_mode: bool = Field(default=False, description="Development only: allows the public development "
                           "JWT secret (./run start and the tests set DEV_MODE=1)")
    jwt_issuer: str = "aftersales-gateway"
    jwt_ttl_seconds: int = 8 * 3600
    log_level: str = "INFO"
    log_json: bool = True
    otel_exporter_otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP endpoint; none = no export")
    run_outbox_relay: bool = Field(default=True, description="Run the outbox relay inside this process")
    outbox_batch_size: int = 200
    outbox_retention_hours: float = Field(default=72.0, description="Published outbox rows are deleted after this")
    outbox_poll_seconds: float = Field(default=1.0, description="Fallback poll when no NOTIFY arrives")
    consumer_max_attempts: int = Field(default=3, description="Handler attempts before a message is dead-lettered")
    consumer_retry_backoff_seconds: float = 0.2
    consumer_batch_size: int = Field(default=100, ge=1, description="Records handled per transaction (1 = each alone)")
    kafka_startup_timeout_seconds: float = 60.0

    def refuse_development_secret(self) -> None:
        """A service outside development must not accept tokens signed with a secret anyone can read."""
        if self.jwt_secret == DEV_JWT_SECRET and not self.dev_mode:
            raise InsecureSettings(
                f"{self.service_name}: JWT_SECRET is the public development default. Set JWT_SECRET to a "
                "secret of 32 or more characters shared by the gateway and every service, or set DEV_MODE=1 "
                "on a development machine.")

    @property
    def dsn(self) -> str:
        """libpq-style DSN for asyncpg's own connections (LISTEN)."""
        from .db import asyncpg_dsn

        return asyncpg_dsn(self.database_url)
