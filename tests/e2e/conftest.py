"""The whole platform as separate processes, started once for the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest_asyncio
from gateway.users import upsert_users

from deploy.launcher import SERVICES, Platform
from tests.support.e2e import JWT_KEYS, JWT_SIGNING_KEYS, gateway_users, open_stores
from tests.support.infra import create_database, drop_database

# Its ports (E2E_BASE_PORT: two checkouts' runs on one machine each take their own).
BASE_PORT = int(os.environ.get("E2E_BASE_PORT", "18100"))


# Package scope: the platform's processes consume every topic, so they must be gone before the in-process
# service tests run, or they answer those tests' events too (a parts shortage for another test's booking).
@pytest_asyncio.fixture(scope="package")
async def platform(infra, tmp_path_factory):
    names = {svc: await create_database(infra, f"e2e_{svc}") for svc in SERVICES}
    p = Platform(pg_server_url=infra.pg_server_url, kafka_bootstrap=infra.kafka_bootstrap,
                 state_dir=tmp_path_factory.mktemp("platform"), databases=names,
                 ports={svc: BASE_PORT + i for i, svc in enumerate(SERVICES)},
                 jwt_keys=JWT_KEYS, jwt_signing_keys=JWT_SIGNING_KEYS, die_with_parent=True,
                 # in-process service tests use the plain groups; the e2e files log the same few people in
                 # again and again from one address (the limits themselves: gateway/tests/integration/test_edge)
                 extra_env={"KAFKA_GROUP_PREFIX": "e2e.", "RATE_LIMIT_LOGIN_PER_USERNAME": "600/minute",
                            "RATE_LIMIT_LOGIN_PER_ADDRESS": "3000/minute"},
                 # As ./run start: Prometheus too (start waits until it sees every service up), when installed.
                 prometheus=shutil.which("prometheus") is not None, prometheus_port=BASE_PORT + 90,
                 # As ./run start --demo: the services read business time from the platform's CLOCK_FILE, which
                 # only the demo loader writes (tests/e2e/test_demo.py); without the file, real time.
                 business_clock=True)
    try:
        await asyncio.to_thread(p.migrate)  # Alembic runs its own event loop
        p.start(migrate=False)  # in the main thread: the services' parent-death signal is tied to it
        await upsert_users(p.database_url("gateway"), gateway_users())  # the front desk and the workshop floor
        await open_stores(p.url("gateway"))  # every service knows the stores before a test records anything
        yield p
    finally:
        p.stop()
        for n in names.values():
            await drop_database(infra, n)


