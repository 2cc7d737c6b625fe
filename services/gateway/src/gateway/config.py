from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int = 8000
    database_url: str = Field(default="postgresql+asyncpg://postgres@127.0.0.1:55432/gateway")
    reception_url: str = "http://127.0.0.1:8001"
    workshop_url: str = "http://127.0.0.1:8002"
    parts_url: str = "http://127.0.0.1:8003"
    claims_url: str = "http://127.0.0.1:8004"
    crm_url: str = "http://127.0.0.1:8005"
    upstream_timeout_seconds: float = 5.0

    def service_urls(self) -> dict[str, str]:
        return {s: getattr(self, f"{s}_url") for s in ("reception", "workshop", "parts", "claims", "crm")}
