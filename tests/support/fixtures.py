"""pytest fixtures: infrastructure, migrated databases per service, running services, tokens."""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import jwt
import pytest
import pytest_asyncio
import shared.registry as registry
from fastapi import FastAPI
from shared.auth import KeySet, Principal, Role, generate_signing_key, issue_token
from shared.clock import Clock
from shared.kit import Upsert
from shared.kit.organisation import KNOWN_STORES
from shared.migrations import upgrade_async

from .factories import STORES
from .infra import SERVICES, Infra, create_database, drop_database, session_infra

# The tests' own signing key (made per run): `make_token` mints a token any service under test accepts,
# since every service gets its public half (JWT_KEYS) and the gateway signs with it too.
SIGNING_KEY = generate_signing_key("test-1")
JWT_KEYS = KeySet.of(SIGNING_KEY).to_json()
JWT_SIGNING_KEYS = json.dumps({"keys": [SIGNING_KEY.private_jwk()]})
JWT_ISSUER = "aftersales-gateway"


@pytest.fixture(scope="session")
def infra() -> Infra:
    yield from session_infra()


@pytest_asyncio.fixture(scope="session")
async def service_databases(infra: Infra) -> AsyncIterator[dict[str, str]]:
    """One freshly migrated database per service for this test session: service -> SQLAlchemy URL."""
    names: dict[str, str] = {}
    try:
        for svc in SERVICES:
            names[svc] = await create_database(infra, svc)
            main = importlib.import_module(f"{registry.service(svc).package}.main")
            await upgrade_async(main.MIGRATIONS, infra.database_url(names[svc]))
        yield {svc: infra.database_url(n) for svc, n in names.items()}
    finally:
        for n in names.values():
            await drop_database(infra, n)


def make_token(roles: list[Role] | Role, *, group: str = "dg-test", stores: list[str] | None = None,
               user: str = "tester", ttl_seconds: int = 900, now: float | None = None) -> str:
    roles = [roles] if isinstance(roles, Role) else roles
    STORES.update(stores or [])  # a store a test's user works at is a store of the test's group
    p = Principal(user_id=user, name=user, dealer_group_id=group, roles=frozenset(roles),
                  store_ids=frozenset(stores or []))
    return issue_token(p, key=SIGNING_KEY, issuer=JWT_ISSUER, ttl_seconds=ttl_seconds, now=now)


def auth(roles: list[Role] | Role, **kw) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(roles, **kw)}"}


@dataclass
class RunningService:
    name: str
    app: FastAPI
    client: httpx.AsyncClient
    url: str | None = None  # with listen=True: where it answers HTTP (another service's <name>_url)

    @property
    def runtime(self):
        return self.app.state.runtime


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """`app` answering real HTTP (uvicorn, a free loopback port) while the block runs; its lifespan is the
    caller's. Yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None,
                                           access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # it could not start: say why
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def service_settings(name: str, infra: Infra, database_url: str, **overrides):
    cfg = importlib.import_module(f"{registry.service(name).package}.config")
    values = dict(database_url=database_url, kafka_bootstrap_servers=infra.kafka_bootstrap, jwt_keys=JWT_KEYS,
                  jwt_signing_keys=JWT_SIGNING_KEYS,
                  jwt_issuer=JWT_ISSUER, log_json=False, outbox_poll_seconds=0.5, consumer_retry_backoff_seconds=0.05)
    values.update(overrides)
    return cfg.Settings(**values)


_register = Upsert(KNOWN_STORES, keys=("dealer_group_id", "store_id"), update=False)


class RegisterTestStores:
    """ASGI middleware the tests put in front of a backend service (never in production): before each
    request it registers, for the caller's dealer group, every store the tests made (`new_store()`) or named
    in a token (`make_token`) in the service's store replica, as the gateway's StoreOpened would. So a test
    may use any store of its own at once, through its client or any transport reaching the app, while a
    store nobody made stays unknown (a 422, as in production)."""

    def __init__(self, app) -> None:
        self.app = app
        self.registered: set[tuple[str, str]] = set()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            await self._register(scope["app"].state.runtime, dict(scope["headers"]).get(b"authorization", b""))
        await self.app(scope, receive, send)

    async def _register(self, runtime, authorization: bytes) -> None:
        group = _token_group(authorization.decode("latin-1"))
        missing = {(group, s) for s in STORES} - self.registered if group else set()
        if missing:
            async with runtime.sessions() as session, session.begin():
                await _register.many(session, [dict(
                    dealer_group_id=g, store_id=s, name=s, brand="test", city="test", time_zone="Asia/Shanghai",
                    opening_hours=[], updated_at=datetime.now(UTC)) for g, s in sorted(missing)])
            self.registered |= missing


def _token_group(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("dg") if scheme == "Bearer" else None
    except jwt.InvalidTokenError:
        return None


@pytest_asyncio.fixture
async def start_service(infra: Infra, service_databases: dict[str, str]):
    """Factory: `async with start_service("crm") as crm:` runs the app's lifespan (broker, relay) in-process."""

    @asynccontextmanager
    async def start(name: str, *, clock: Clock | None = None, listen: bool = False,
                    **overrides) -> AsyncIterator[RunningService]:
        """listen=True also serves it over real HTTP (the gateway forwarding to it, a client's own bytes on
        the wire); its client then goes through the socket."""
        main = importlib.import_module(f"{registry.service(name).package}.main")
        app = main.create_app(service_settings(name, infra, service_databases[name], **overrides), clock=clock)
        if any(c.name.endswith(".organisation") for c in app.state.runtime.consumers):
            app.add_middleware(RegisterTestStores)  # the tests' stores, known as if the gateway had opened them
        async with app.router.lifespan_context(app):
            if not listen:
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{name}") as client:
                    yield RunningService(name, app, client)
                return
            async with serving(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
                yield RunningService(name, app, client, url)

    return start


@pytest.fixture
def token() -> Callable[..., dict[str, str]]:
    return auth
