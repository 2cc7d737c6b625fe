"""Where the ops command looks for PostgreSQL: DATABASE_URL first, as the services and the tests read it, then
./run start's PG_SERVER_URL or PGPORT_LOCAL."""

import pytest
from ops.probes import Where

PG_VARS = ("DATABASE_URL", "PG_SERVER_URL", "PGPORT_LOCAL")


@pytest.fixture
def env(monkeypatch):
    for var in PG_VARS:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_database_url_wins_and_each_service_s_database_is_on_its_server(env):
    env.setenv("DATABASE_URL", "postgresql+asyncpg://ops:s3cret@db.internal:5433/reception?sslmode=require")
    env.setenv("PG_SERVER_URL", "postgresql://postgres@127.0.0.1:1111")
    env.setenv("PGPORT_LOCAL", "2222")
    where = Where.from_env()
    assert where.dsn("crm") == "postgresql://ops:s3cret@db.internal:5433/crm?sslmode=require"
    assert where.dsn("reception") == "postgresql://ops:s3cret@db.internal:5433/reception?sslmode=require"


def test_the_tests_server_url_names_the_postgres_database(env):
    env.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:56632/postgres")
    assert Where.from_env().dsn("parts") == "postgresql://postgres@127.0.0.1:56632/parts"


def test_without_database_url_the_run_start_environment_then_the_default_port(env):
    env.setenv("PGPORT_LOCAL", "2222")
    assert Where.from_env().dsn("crm") == "postgresql://postgres@127.0.0.1:2222/crm"
    env.setenv("PG_SERVER_URL", "postgresql://postgres@pg.example:5432/")
    assert Where.from_env().dsn("crm") == "postgresql://postgres@pg.example:5432/crm"
    env.delenv("PG_SERVER_URL")
    env.delenv("PGPORT_LOCAL")
    assert Where.from_env().dsn("crm") == "postgresql://postgres@127.0.0.1:55432/crm"


def test_the_platform_s_groups_and_addresses_as_this_environment_names_them(env):
    env.setenv("KAFKA_GROUP_PREFIX", "staging-")
    env.setenv("PLATFORM_BASE_PORT", "18100")
    where = Where.from_env()
    assert "staging-crm.care" in where.groups() and all(g.startswith("staging-") for g in where.groups())
    assert sorted(where.url(s) for s in where.ports)[0] == "http://127.0.0.1:18100"
