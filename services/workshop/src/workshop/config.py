import shared.registry as registry
from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """workshop's settings; its port and database are the service registry's (shared.registry)."""

    service_name: str = "workshop"
    http_port: int = registry.service("workshop").http_port
    database_url: str = Field(default=registry.service("workshop").database_url())
