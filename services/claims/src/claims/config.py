import shared.registry as registry
from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "claims"
    http_port: int = registry.service("claims").http_port
    database_url: str = Field(default=registry.service("claims").database_url())
