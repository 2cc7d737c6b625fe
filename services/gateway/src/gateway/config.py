import shared.registry as registry
from pydantic import Field, create_model
from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """The gateway's own settings; `Settings` adds one `<name>_url` per fronted service."""

    service_name: str = "gateway"
    http_port: int = registry.service("gateway").http_port
    database_url: str = Field(default=registry.service("gateway").database_url())
    upstream_timeout_seconds: float = 5.0

    def service_urls(self) -> dict[str, str]:
        """Fronted service -> its base URL."""
        return {s.name: getattr(self, f"{s.name}_url") for s in registry.backends()}


# `reception_url`, `workshop_url`, ...: one field per service in shared.registry, so its env var
# (RECEPTION_URL, ...) overrides the local default http://127.0.0.1:<port>.
Settings = create_model(
    "Settings",
    __base__=GatewaySettings,
    __module__=__name__,
    **{f"{s.name}_url": (str, Field(default=s.url(), description=f"Base URL of {s.name} (env {s.url_env})"))
       for s in registry.backends()},
)
