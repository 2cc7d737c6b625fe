"""shared/registry.py names the services once; check it agrees with the code it describes."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import shared.registry as registry
from shared.contracts import EVENT_TYPES, TOPICS

ROOT = Path(__file__).resolve().parents[2]


def _create_app(svc: registry.Service):
    module, _, name = svc.app_factory.partition(":")
    return getattr(importlib.import_module(module), name)()


def test_names_ports_and_databases_are_unique():
    for attr in ("name", "http_port", "database", "package"):
        values = [getattr(s, attr) for s in registry.SERVICES]
        assert len(values) == len(set(values)), f"duplicate {attr}: {values}"


def test_the_gateway_starts_last_and_fronts_every_other_service():
    assert registry.names()[-1] == "gateway"
    assert not registry.service("gateway").fronted
    assert {s.name for s in registry.backends()} == set(registry.names()) - {"gateway"}
    with pytest.raises(KeyError, match="no service 'nope'"):
        registry.service("nope")


@pytest.mark.parametrize("svc", registry.SERVICES, ids=lambda s: s.name)
def test_each_service_package_exists_with_its_app_factory_and_migrations(svc: registry.Service):
    assert (ROOT / "services" / svc.name / "src" / svc.package / "__main__.py").exists()
    main = importlib.import_module(f"{svc.package}.main")
    assert Path(main.MIGRATIONS).is_dir()
    assert callable(getattr(main, svc.app_factory.partition(":")[2]))


@pytest.mark.parametrize("svc", registry.SERVICES, ids=lambda s: s.name)
def test_default_settings_take_port_and_database_from_the_registry(svc: registry.Service, monkeypatch):
    for var in ("HTTP_PORT", "DATABASE_URL", "SERVICE_NAME"):
        monkeypatch.delenv(var, raising=False)
    settings = importlib.import_module(f"{svc.package}.config").Settings()
    assert settings.service_name == svc.name
    assert settings.http_port == svc.http_port
    assert settings.database_url == svc.database_url()


@pytest.mark.parametrize("svc", registry.SERVICES, ids=lambda s: s.name)
def test_consumer_groups_and_notifications_are_those_create_app_builds(svc: registry.Service, monkeypatch):
    """Built with default settings, no broker or database needed: consumers subscribe on start."""
    monkeypatch.delenv("KAFKA_GROUP_PREFIX", raising=False)
    runtime = _create_app(svc).state.runtime
    assert sorted(c.name for c in runtime.consumers) == sorted(svc.consumer_groups)
    assert sorted(n.name for n in runtime.notifications) == sorted(svc.notifications)
    subs = [sub for c in [*runtime.consumers, *runtime.notifications] for sub in c.router.subscribers]
    subscribed = {getattr(t, "name", t) for sub in subs for t in sub.topics}
    assert subscribed <= set(svc.reads), f"{svc.name} subscribes to topics its `reads` does not name"
    # A group is what the registry says it is: a notification subscriber joins none (every instance reads all).
    assert {sub.group_id for c in runtime.consumers for sub in c.router.subscribers} <= set(svc.consumer_groups)
    assert all(sub.group_id is None for n in runtime.notifications for sub in n.router.subscribers)


def test_every_topic_has_one_producer_and_known_topics_only():
    produced = [t for s in registry.SERVICES for t in s.produces]
    assert len(produced) == len(set(produced)), "a topic published by two services"
    assert set(produced) <= set(TOPICS)
    from shared.contracts import claims

    assert set(TOPICS) - set(produced) == {claims.OEM_DECISIONS}  # the manufacturer's answer
    assert {t for s in registry.SERVICES for t in s.reads} <= set(TOPICS)
    assert {c.topic for c in EVENT_TYPES.values()} == set(TOPICS)


def test_gateway_urls_default_from_the_registry_and_env_overrides(monkeypatch):
    from gateway.config import Settings
    from gateway.entrypoints.api import SERVICES

    for s in registry.backends():
        monkeypatch.delenv(s.url_env, raising=False)
    assert Settings().service_urls() == {s.name: s.url() for s in registry.backends()}
    assert set(SERVICES) == {s.name for s in registry.backends()}
    monkeypatch.setenv("CRM_URL", "http://crm.internal:9999")
    assert Settings().service_urls()["crm"] == "http://crm.internal:9999"
    assert Settings(reception_url="http://r:1").service_urls()["reception"] == "http://r:1"


def test_launcher_starts_every_service_with_its_port_database_and_the_gateway_urls():
    from deploy.launcher import DEFAULT_PORTS, SERVICES, Platform

    assert SERVICES == registry.names()
    assert DEFAULT_PORTS == {s.name: s.http_port for s in registry.SERVICES}
    p = Platform(ports={s: port + 100 for s, port in DEFAULT_PORTS.items()})
    assert p.database_url("crm").endswith("/" + registry.service("crm").database)
    env = p.env("gateway")
    for s in registry.backends():
        assert env[s.url_env] == f"http://127.0.0.1:{s.http_port + 100}"
    assert env["HTTP_PORT"] == str(registry.service("gateway").http_port + 100)


@pytest.mark.parametrize("svc", registry.backends(), ids=lambda s: s.name)
def test_every_service_names_the_stores_time_zone_timezone(svc: registry.Service, monkeypatch):
    """One setting name (TIMEZONE): the kit's store_zone and daily jobs read `settings.timezone`, so a service
    naming it otherwise would silently count its figures in the default zone."""
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    settings = importlib.import_module(f"{svc.package}.config").Settings()
    from shared.kit.figures import store_zone

    assert str(store_zone(settings)) == "Europe/Berlin"
