from __future__ import annotations

import json

import pytest
from shared.auth import KeySet, generate_signing_key
from shared.settings import DEV_JWT_KEYS, DEV_SIGNING_JWK, InsecureSettings, ServiceSettings

REAL = generate_signing_key("prod-1")


def test_a_service_refuses_the_public_development_key_outside_development():
    settings = ServiceSettings(service_name="crm", jwt_keys=DEV_JWT_KEYS)
    with pytest.raises(InsecureSettings) as e:
        settings.refuse_development_secret()
    assert "JWT_KEYS" in str(e.value) and "DEV_MODE=1" in str(e.value)


def test_the_development_key_is_refused_under_any_kid_and_beside_real_keys():
    renamed = {**{k: v for k, v in DEV_SIGNING_JWK.items() if k != "d"}, "kid": "innocent"}
    keys = json.dumps({"keys": [REAL.public_jwk(), renamed]})
    with pytest.raises(InsecureSettings):
        ServiceSettings(service_name="crm", jwt_keys=keys).refuse_development_secret()


def test_development_mode_or_a_real_key_set_may_start():
    ServiceSettings(service_name="crm", jwt_keys=DEV_JWT_KEYS, dev_mode=True).refuse_development_secret()
    ServiceSettings(service_name="crm", jwt_keys=KeySet.of(REAL).to_json()).refuse_development_secret()
    assert ServiceSettings(service_name="crm", jwt_keys="").uses_development_key  # compose's empty default


def test_a_malformed_key_set_stops_the_settings():
    with pytest.raises(ValueError):
        ServiceSettings(service_name="crm", jwt_keys='{"keys": []}')


def test_the_gateway_refuses_to_sign_with_the_dev_key_or_a_key_services_do_not_know():
    from gateway.config import Settings

    private = json.dumps({"keys": [REAL.private_jwk()]})
    Settings(jwt_signing_keys=private, jwt_keys=KeySet.of(REAL).to_json()).refuse_development_secret()
    with pytest.raises(InsecureSettings) as e:
        Settings(jwt_signing_keys=private, jwt_keys=KeySet.of(generate_signing_key("x")).to_json()
                 ).refuse_development_secret()
    assert "not in JWT_KEYS" in str(e.value)
    with pytest.raises(InsecureSettings):
        Settings(jwt_keys=KeySet.of(REAL).to_json()).refuse_development_secret()  # signs with the dev key


async def test_the_service_does_not_start_with_it():
    from crm.config import Settings
    from crm.main import create_app

    app = create_app(Settings(jwt_keys=DEV_JWT_KEYS, dev_mode=False))
    with pytest.raises(InsecureSettings):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - never reached
