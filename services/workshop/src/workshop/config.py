import shared.registry as registry
from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """workshop's settings; its port and database are the service registry's (shared.registry)."""

    service_name: str = "workshop"
    http_port: int = registry.service("workshop").http_port
    database_url: str = Field(default=registry.service("workshop").database_url())
    timezone: str = Field(default="Asia/Shanghai", description="Stores' local time: the days of capacity and figures")
    capacity_refresh_seconds: float = Field(default=3600.0, gt=0,
                                            description="How often the two-week capacity window is rolled forward")
