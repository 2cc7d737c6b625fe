from __future__ import annotations

import pytest
from shared.settings import DEV_JWT_SECRET, InsecureSettings, ServiceSettings


def test_a_service_refuses_the_public_development_secret_outside_development():
    settings = ServiceSettings(service_name="crm", jwt_secret=DEV_JWT_SECRET)
    with pytest.raises(InsecureSettings) as e:
        settings.refuse_development_secret()
    assert "JWT_SECRET" in str(e.value) and "DEV_MODE=1" in str(e.value)


def test_development_mode_or_a_real_secret_may_start():
    ServiceSettings(service_name="crm", jwt_secret=DEV_JWT_SECRET, dev_mode=True).refuse_development_secret()
    ServiceSettings(service_name="crm", jwt_secret="s" * 40).refuse_development_secret()


async def test_the_service_does_not_start_with_it():
    from crm.config import Settings
    from crm.main import create_app

    app = create_app(Settings(jwt_secret=DEV_JWT_SECRET, dev_mode=False))
    with pytest.raises(InsecureSettings):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - never reached
