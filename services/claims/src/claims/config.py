import shared.registry as registry
from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """claims's settings; its port and database are the service registry's (shared.registry)."""

    service_name: str = "claims"
    http_port: int = registry.service("claims").http_port
    database_url: str = Field(default=registry.service("claims").database_url())
    timezone: str = Field(default="Asia/Shanghai", description="Stores' local time: the renewal job's day")
    run_renewal_loop: bool = Field(default=True, description="Run the daily insurance renewal reminder job")
    renewal_poll_seconds: float = Field(default=300.0, description="How often the renewal job looks at the clock")
    renewal_days_ahead: int = Field(default=30, ge=1, le=90,
                                    description="Remind a policy's renewal this many days before it expires")
