"""The composition of a service: FastAPI app, FastStream broker in its lifespan, DB, relay, probes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from prometheus_client import Counter
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from .clock import Clock, SystemClock, clock_from
from .contracts import DomainEvent
from .errors import DomainError
from .kit.events import EventHandlers, Notifications
from .messaging.consumer import TRANSIENT_ERRORS, ConsumerDeps, IdempotentConsumer, is_transient
from .messaging.lag import LagMonitor
from .messaging.notifications import NotificationSubscriber
from .messaging.outbox import Outbox
from .messaging.relay import OutboxRelay, make_producer
from .messaging.topics import ensure_topics
from .observability import configure_logging, configure_tracing, get_logger, instrument_app
from .openapi import document
from .settings import ServiceSettings

log = get_logger(__name__)

SERVER_KEEPALIVE_SECONDS = 5
"""How long a service keeps an idle HTTP connection; the gateway's pool drops them sooner (its main.py)."""


@dataclass
class Runtime:
    """What a running service holds; request handlers reach it as `request.app.state.runtime`."""

    settings: ServiceSettings
    outbox: Outbox
    clock: Clock
    """Business time: what happened when, which day it is, what falls due (CLOCK_FILE may move it)."""
    security_clock: Clock = field(default_factory=SystemClock)
    """What protects access (refresh-token expiry, session revocation): real time even while business time is
    moved, unless a test injects one clock for both."""
    deps: ConsumerDeps = field(default_factory=ConsumerDeps)
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    producer: AIOKafkaProducer | None = None
    relay: OutboxRelay | None = None
    lag_monitor: asyncio.Task | None = None
    consumers: list[IdempotentConsumer] = field(default_factory=list)
    notifications: list[NotificationSubscriber] = field(default_factory=list)


async def _start_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    deadline = asyncio.get_running_loop().time() + settings.kafka_startup_timeout_seconds
    while True:
        producer = make_producer(settings.kafka_bootstrap_servers, settings.service_name)
        try:
            await producer.start()
            return producer
        except Exception as e:
            await producer.stop()
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("kafka.not_ready", error=repr(e))
            await asyncio.sleep(1)


def _runtime(settings: ServiceSettings, events: Sequence[EventHandlers], notifications: Sequence[Notifications],
             clock: Clock | None, counters: Mapping[type[DomainEvent], Counter] | None) -> tuple[Runtime, KafkaBroker]:
    """The service's runtime (outbox, clock, consumer groups, notification subscribers) and its broker."""
    runtime = Runtime(settings=settings, outbox=Outbox(settings.service_name, counters),
                      clock=clock or clock_from(settings.clock_file), security_clock=clock or SystemClock(),
                      deps=ConsumerDeps.from_settings(settings))
    runtime.consumers = [group.consumer(runtime, max_attempts=settings.consumer_max_attempts,
                                        retry_backoff_seconds=settings.consumer_retry_backoff_seconds)
                         for group in events]
    runtime.notifications = [n.subscriber(runtime) for n in notifications]
    # A list: FastStream takes a comma-separated string for one host ("a:1,b:2,c" port 3) and no service with
    # several brokers in KAFKA_BOOTSTRAP_SERVERS could start (found by the three-broker reliability rig).
    broker = KafkaBroker([h.strip() for h in settings.kafka_bootstrap_servers.split(",") if h.strip()],
                         client_id=settings.service_name, enable_idempotence=True)
    for c in [*runtime.consumers, *runtime.notifications]:
        broker.include_router(c.router)
    return runtime, broker


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str | None = None,
    description: str | None = None,
    routers: Sequence[APIRouter] = (),
    events: Sequence[EventHandlers] = (),
    notifications: Sequence[Notifications] = (),
    clock: Clock | None = None,
    on_started: Callable[[Runtime], Awaitable[None]] | None = None,
    on_stopping: Callable[[Runtime], Awaitable[None]] | None = None,
    background: Sequence[Callable[[Runtime], Awaitable[None]]] = (),
    tags: Mapping[str, str] | None = None,
    counters: Mapping[type[DomainEvent], Counter] | None = None,
) -> FastAPI:
    """Build a service: its routers, its consumer groups (`events`), what every instance is notified of
    (`notifications`: no group, see shared/messaging/notifications.py), probes, metrics and error mapping.
    Its title and description default to its name and its summary in the service registry.

    `background` jobs (e.g. a daily reminder loop) run as tasks while the service is up and are
    cancelled when it stops; they must take time from `runtime.clock`. A consumer group may bring
    routes reading what it keeps (`group.router`) and a token guard (`group.token_guard`, run by
    `shared.auth.authenticate`): the organisation replica (shared.kit.organisation) brings both.

    `on_started` runs once the service is up, before the first request; `on_stopping` when it stops, before the
    consumers, producer and pool are closed (e.g. to close a client `on_started` opened).

    `counters`: the business counters (shared.observability) this service's own events count, once committed."""
    runtime, broker = _runtime(settings, events, notifications, clock, counters)
    lifespan = _lifespan(runtime, broker, on_started, on_stopping, background)

    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    configure_tracing(settings.service_name, settings.otel_exporter_otlp_endpoint)
    known = _registered(settings.service_name)
    app = FastAPI(title=title or settings.service_name, description=description or (known.summary if known else ""),
                  # One schema per model: "X-Input"/"X-Output" twins share a title, which client generators refuse.
                  version="0.1.0", lifespan=lifespan, separate_input_output_schemas=False)
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.broker = broker
    _map_errors(app)
    _add_probes(app, runtime)
    document(app, tags={"ops": "Liveness, readiness and Prometheus metrics.", **(tags or {})}, servers=[
        {"url": f"http://127.0.0.1:{settings.http_port}", "description": "this service on a ./run start machine"},
        {"url": f"http://{settings.service_name}:{settings.http_port}", "description": "inside docker compose"},
    ])
    instrument_app(app, settings.service_name)
    _include(app, routers, events)
    return app


def _lifespan(runtime: Runtime, broker: KafkaBroker, on_started, on_stopping, background):
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await _start(runtime, broker)
        tasks: list[asyncio.Task] = []
        try:
            if on_started:
                await on_started(runtime)
            tasks = [asyncio.create_task(job(runtime), name=getattr(job, "__name__", "job")) for job in background]
            settle_heap()
            log.info("service.started", port=runtime.settings.http_port)
            yield
        finally:
            try:
                if on_stopping:
                    await on_stopping(runtime)
            finally:  # the consumers, producer and pool close whatever the hook did
                await _stop(runtime, broker, tasks)
    return lifespan


def _include(app: FastAPI, routers: Sequence[APIRouter], events: Sequence[EventHandlers]) -> None:
    """The service's routers, and the routes and token guard a consumer group brings (the organisation replica)."""
    for r in [*routers, *(g.router for g in events if getattr(g, "router", None))]:
        app.include_router(r)
    guards = [g.token_guard for g in events if getattr(g, "token_guard", None)]
    if guards:
        app.state.token_guard = guards[0]


def _registered(name: str):
    import shared.registry as registry

    try:
        return registry.service(name)
    except KeyError:
        return None


async def _start(runtime: Runtime, broker: KafkaBroker) -> None:
    """Database, producer, topics, consumers, relay: what must run before the first request."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    from .db import make_engine, make_session_factory

    settings = runtime.settings
    settings.refuse_development_secret()
    runtime.engine = make_engine(settings.database_url)
    SQLAlchemyInstrumentor().instrument(engine=runtime.engine.sync_engine)
    runtime.sessions = make_session_factory(runtime.engine)
    runtime.producer = await _start_producer(settings)
    await ensure_topics(settings.kafka_bootstrap_servers, partitions=settings.kafka_partitions,
                        replication_factor=settings.kafka_replication_factor)
    runtime.deps.sessions = runtime.sessions
    runtime.deps.producer = runtime.producer
    await broker.start()
    for n in runtime.notifications:
        await n.ready()
    if settings.run_outbox_relay:
        runtime.relay = OutboxRelay(
            engine=runtime.engine, dsn=settings.dsn, producer=runtime.producer,
            service=settings.service_name, batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds, retention_hours=settings.outbox_retention_hours,
        )
        await runtime.relay.start()
    if settings.consumer_lag_poll_seconds and runtime.consumers:
        monitor = LagMonitor(settings.kafka_bootstrap_servers, settings.service_name, {
            runtime.deps.group_prefix + c.name: (c.name, c.topics) for c in runtime.consumers},
            interval=settings.consumer_lag_poll_seconds)
        runtime.lag_monitor = asyncio.create_task(monitor.run(), name="consumer-lag")
    if not isinstance(runtime.clock, SystemClock):
        log.warning("clock.not_system", clock=type(runtime.clock).__name__, file=settings.clock_file or None,
                    now=runtime.clock.now().isoformat(), detail="business time is not the system's time")
    if settings.uses_development_key:
        log.warning("auth.dev_key", detail="development mode: tokens signed with the public dev key are accepted")


_heap_settled = False


def settle_heap() -> None:
    """Once a process has started (modules, pydantic and SQLAlchemy models, the app, the consumers), what is alive
    lives as long as it does: moved out of the cyclic collector's generations (`gc.freeze`), so a full collection
    walks only what came after. A consumer's batches allocate enough to run one every couple of thousand events,
    and on the whole started heap each took about 150 ms (6-13% of a 4,000-delivery drain of crm.care). Once per
    process (a test session starts many apps; what it froze stays: only garbage collected first)."""
    global _heap_settled
    if _heap_settled:
        return
    _heap_settled = True
    gc.collect()
    gc.freeze()


async def _stop(runtime: Runtime, broker: KafkaBroker, tasks: list[asyncio.Task]) -> None:
    """The reverse of `_start`: jobs, relay, consumers (committing what they handled), producer, pool."""
    if runtime.lag_monitor:
        tasks = [*tasks, runtime.lag_monitor]
    await _cancel_jobs(tasks)
    if runtime.relay:
        await runtime.relay.stop()
    for c in runtime.consumers:
        await c.committer.close()  # commit what was handled before the consumers leave
    await broker.stop()
    if runtime.producer:
        await runtime.producer.stop()
    if runtime.engine:
        await runtime.engine.dispose()
    log.info("service.stopped")


async def _cancel_jobs(tasks: list[asyncio.Task], grace_seconds: float = 5.0) -> None:
    """Cancel the jobs and wait for them, boundedly: a job whose cancellation is swallowed by a library it
    was awaiting (a database driver turning it into its own error) is cancelled again, and after the grace
    it is left behind, logged, so a stop never hangs on it."""
    for t in tasks:
        t.cancel()
    pending = {t for t in tasks if not t.done()}
    deadline = asyncio.get_running_loop().time() + grace_seconds
    while pending and (left := deadline - asyncio.get_running_loop().time()) > 0:
        _, pending = await asyncio.wait(pending, timeout=min(left, 0.5))
        for t in pending:
            t.cancel()
    for t in tasks:
        if t in pending:
            log.error("service.job_not_stopped", job=t.get_name())
        elif not t.cancelled() and t.exception():  # a failed job is logged; it must not stop the shutdown
            log.error("service.job_failed", job=t.get_name(), error=repr(t.exception()))


def _map_errors(app: FastAPI) -> None:
    """Every refusal a client can cause answers 4xx with a JSON body naming the field or state."""

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(ValidationError)
    async def invalid_value(_: Request, exc: ValidationError) -> JSONResponse:
        """A model built inside a handler from the client's input failed validation: still the client's mistake."""
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"detail": first.get("msg", str(exc)), "field": field or None,
                             "error": "ValidationError"}, status_code=422)

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        # The database went away (stopped, restarting, out of connections): not the request's fault and not a
        # bug. 503 with Retry-After says "send it again shortly" (with the same Idempotency-Key); /ready already
        # says 503 too, so a balancer stops sending traffic here until the database is back.
        log.warning("http.database_unavailable", error=repr(exc)[:300])
        return JSONResponse({"detail": "the service's database does not answer; retry shortly",
                             "error": "Unavailable"}, status_code=503, headers={"Retry-After": "2"})

    for cls in TRANSIENT_ERRORS:
        app.add_exception_handler(cls, unavailable)

    @app.exception_handler(DBAPIError)
    async def data_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if is_transient(exc):
            return await unavailable(request, exc)
        # SQLSTATE class 22 ("data exception": a NUL character in text, a number out of range...)
        # means a value the client sent cannot be stored: the client's mistake, answered 422.
        # Anything else from the database is ours: re-raised, a 500.
        cause = getattr(exc.orig, "__cause__", None)
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(cause, "sqlstate", "") or "")
        if not sqlstate.startswith("22"):
            raise exc
        message = str(cause or exc.orig).split("\n")[0]
        return JSONResponse({"detail": f"a value cannot be stored: {message}", "error": "InvalidValue",
                             "sqlstate": sqlstate}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def integrity_error(_: Request, exc: IntegrityError) -> JSONResponse:
        # Two concurrent commands raced past the domain's duplicate checks: the database's
        # constraint caught the second. That is a conflict for the caller, not a server fault.
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        log.warning("http.integrity_conflict", constraint=constraint, error=str(exc.orig)[:300])
        return JSONResponse({"detail": "conflicts with an existing record; reload and retry",
                             "error": "Conflict", "constraint": constraint}, status_code=409)


class Health(BaseModel):
    status: str = Field(examples=["alive"])
    service: str
    now: datetime = Field(description="The service's business time (its clock; the demo loader moves it)")


class Readiness(BaseModel):
    status: str = Field(description="ready, or not ready", examples=["ready"])
    checks: dict[str, str] = Field(description="Per dependency: ok, or the error", examples=[{"database": "ok"}])


def _add_probes(app: FastAPI, runtime: Runtime) -> None:
    settings = runtime.settings

    @app.get("/health", tags=["ops"], response_model=Health)
    async def health() -> dict:
        """Alive: the process answers."""
        return {"status": "alive", "service": settings.service_name, "now": runtime.clock.now()}

    @app.get("/ready", tags=["ops"], response_model=Readiness,
             responses={503: {"model": Readiness, "description": "The database or Kafka does not answer."}})
    async def ready() -> JSONResponse:
        """Ready: its database and Kafka answer."""
        checks: dict[str, str] = {}
        try:
            async with runtime.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("select 1")), timeout=2)
            checks["database"] = "ok"
        except Exception as e:
            checks["database"] = f"error: {type(e).__name__}"
        try:
            await asyncio.wait_for(runtime.producer.client.fetch_all_metadata(), timeout=3)
            checks["kafka"] = "ok"
        except Exception as e:
            checks["kafka"] = f"error: {type(e).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks},
                            status_code=200 if ok else 503)


def serve(app: FastAPI) -> None:
    import uvicorn

    s: ServiceSettings = app.state.settings
    # A bounded graceful shutdown: an open stream (the boards' live events) would otherwise hold it forever.
    # loop and http are uvicorn's "auto": uvloop and httptools (uvicorn[standard], shared/pyproject.toml).
    uvicorn.run(app, host=s.http_host, port=s.http_port, log_config=None, access_log=False,
                timeout_graceful_shutdown=5, timeout_keep_alive=SERVER_KEEPALIVE_SECONDS)
