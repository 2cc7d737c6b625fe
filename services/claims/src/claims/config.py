import shared.registry as registry
from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """claims's settings; its port and database are the service registry's (shared.registry)."""

    service_name: str = "claims"
    http_port: int = registry.service("claims").http_port
    database_url: str = Field(default=registry.service("claims").database_url())
