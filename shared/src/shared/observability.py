"""Structured logs, OpenTelemetry traces and Prometheus metrics, set up the same way in every service."""

from __future__ import annotations

import logging
import sys
import time

import structlog
from fastapi import FastAPI, Response
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# -- metrics: one registry per process; the service label tells services apart in tests -----
HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_unsent_age_seconds", "Age of the oldest outbox row not yet published (0: none waiting)",
    ["service"],
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Events published by the relay", ["service", "topic"])
CONSUMER_LAG = Gauge(
    "kafka_consumer_lag", "Messages behind the partition end (consumer = the group id)",
    ["service", "consumer", "topic", "partition"],
)
CONSUMED = Counter(
    "kafka_events_consumed_total", "Events handled by consumers", ["service", "consumer", "type", "result"]
)
DEAD_LETTERS = Counter(
    "kafka_dead_letters_total", "Messages sent to a dead-letter topic (topic = the original topic)",
    ["service", "consumer", "topic"],
)

# -- business counters: facts an operator checks the platform by, counted once their event commits ---------
BUSINESS_LABELS = ["service", "dealer_group", "store"]
REPAIR_ORDERS_OPENED = Counter("aftersales_repair_orders_opened_total", "Repair orders opened", BUSINESS_LABELS)
VEHICLES_DELIVERED = Counter("aftersales_vehicles_delivered_total", "Vehicles handed back to their customer",
                             BUSINESS_LABELS)
CLAIMS_SUBMITTED = Counter("aftersales_claims_submitted_total", "Warranty claims sent to the manufacturer",
                           BUSINESS_LABELS)
FOLLOW_UPS_FAILED = Counter("aftersales_follow_ups_failed_total", "Follow-up calls that failed", BUSINESS_LABELS)


def configure_logging(service: str, level: str = "INFO", json_logs: bool = True) -> None:
    """JSON lines on stdout, bound to the service name and the current trace."""

    def add_trace(_, __, event_dict):
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            event_dict["trace_id"] = format(ctx.trace_id, "032x")
            event_dict["span_id"] = format(ctx.span_id, "016x")
        return event_dict

    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace,
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(level=level.upper(), stream=sys.stdout, format="%(message)s")
    for noisy in ("aiokafka", "kafka", "faststream", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None):
    return structlog.get_logger(name)


_provider_set = False


def configure_tracing(service: str, otlp_endpoint: str | None = None) -> None:
    """One tracer provider per process; spans export over OTLP/HTTP when an endpoint is set."""
    global _provider_set
    if _provider_set:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    trace.set_tracer_provider(provider)
    _provider_set = True


def current_trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span, to store with an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def current_trace_id() -> str | None:
    """The current trace's id (32 hex digits), or None outside a trace."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


def context_from_headers(traceparent: str | None, tracestate: str | None = None):
    carrier = {}
    if traceparent:
        carrier["traceparent"] = traceparent
    if tracestate:
        carrier["tracestate"] = tracestate
    return propagate.extract(carrier)


class HttpMetrics:
    """Requests and latency per route and status. Plain ASGI, not `@app.middleware("http")`: Starlette's
    BaseHTTPMiddleware runs every request in a task group and streams the answer through a memory stream, a
    cost on every call (the gateway pays it once for the caller and the services again behind it)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, scope["method"], path, str(status)).inc()
            HTTP_LATENCY.labels(self.service, scope["method"], path).observe(time.perf_counter() - start)


def instrument_app(app: FastAPI, service: str) -> None:
    """HTTP metrics, OpenTelemetry spans and the /metrics endpoint."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # The request's server span only: the middleware's default is an internal span around every ASGI `receive`
    # and `send` too (three spans a request where one tells the story), on every hop the gateway adds.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,ready,metrics", exclude_spans=["receive", "send"])

    app.add_middleware(HttpMetrics, service=service)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
