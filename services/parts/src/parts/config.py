import shared.registry as registry
from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """parts's settings; its port and database are the service registry's (shared.registry)."""

    service_name: str = "parts"
    http_port: int = registry.service("parts").http_port
    database_url: str = Field(default=registry.service("parts").database_url())
    timezone: str = Field(default="Asia/Shanghai", description="Stores' local time: the days of counts and figures")
