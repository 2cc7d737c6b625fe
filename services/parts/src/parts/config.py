from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "parts"
    http_port: int = 8003
    database_url: str = Field(default="postgresql+asyncpg://postgres@127.0.0.1:55432/parts")
