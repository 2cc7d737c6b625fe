import shared.registry as registry
from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "crm"
    http_port: int = registry.service("crm").http_port
    database_url: str = Field(default=registry.service("crm").database_url())
    timezone: str = Field(default="Asia/Shanghai", description="Stores' local time: call windows, days, reports")
    reminder_poll_seconds: float = Field(default=300.0, description="How often the daily reminder loop looks at "
                                         "the clock; it runs once per local day")
    run_reminder_loop: bool = True
