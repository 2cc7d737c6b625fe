from datetime import time
from decimal import Decimal

import shared.registry as registry
from pydantic import Field
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "reception"
    http_port: int = registry.service("reception").http_port
    database_url: str = Field(default=registry.service("reception").database_url())
    timezone: str = Field(default="Asia/Shanghai", description="Stores' local time: working hours, the days of "
                          "figures")
    workshop_opens: time = time(8, 0)
    workshop_closes: time = time(18, 0)
    default_labour_rate: Decimal = Field(default=Decimal("300.00"), description="CNY per flat-rate hour")
    default_tax_rate: Decimal = Field(default=Decimal("0.13"), description="VAT on the customer's share")
    default_comeback_days: int = Field(default=30, description="Back for the same job within this: a comeback")
    default_service_interval_months: int = 6
    default_service_interval_km: int = 5000
