"""The one way to declare a consumer: a named group of event handlers, each `(uow, event)`.

    care = EventHandlers("care")                  # consumer group "<service>.care"

    @care.on(reception.VehicleDelivered)
    async def vehicle_delivered(uow: UnitOfWork, e: reception.VehicleDelivered) -> None:
        ...   # uow.envelope: the CloudEvent (tenant, time, ids); uow.actor: this consumer, for the tenant's group

The service factory subscribes each group through the idempotent consumer: the event id goes
into the inbox in the handler's transaction (a redelivery is skipped), failures are retried
and then dead-lettered, and events the handler saves go to the outbox with this event as
their cause.

A handler whose statements per event would dominate (a dozen round trips each) may take a fetched batch at
once instead: `@care.on_batch(reception.VehicleDelivered)` registers `async def fn(items)` with `items` the
batch's new events of those types as `[(uow, event)]` in record order, all on one session (one transaction):
it loads what the batch needs in a few queries and writes with one executemany per statement
(`shared.kit.BatchWrites`). On the one-by-one path (a failed batch, retries, dead letters) it gets a list of one.

A handler that only tells this instance's clients something (refresh a page) is a `Notifications` handler
instead: every instance runs it for every event, with no group and no inbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import trace

from shared.auth import Principal
from shared.contracts.base import DomainEvent
from shared.messaging.consumer import IdempotentConsumer
from shared.messaging.envelope import Envelope
from shared.messaging.notifications import NotificationSubscriber, Notify

from .uow import UnitOfWork

EventHandler = Callable[[UnitOfWork, Any], Awaitable[None]]
BatchHandler = Callable[[list[tuple[UnitOfWork, Any]]], Awaitable[None]]


class EventHandlers:
    def __init__(self, name: str) -> None:
        self.name = name
        self.by_topic: dict[str, dict[type[DomainEvent], EventHandler]] = {}
        self.batched: set[Callable] = set()

    def on(self, *event_types: type[DomainEvent]) -> Callable[[EventHandler], EventHandler]:
        """Handle these event types (their topics are subscribed for this group)."""

        def register(fn: EventHandler) -> EventHandler:
            for cls in event_types:
                self.by_topic.setdefault(cls.topic, {})[cls] = fn
            return fn

        return register

    def on_batch(self, *event_types: type[DomainEvent]) -> Callable[[BatchHandler], BatchHandler]:
        """Handle these event types a batch at a time (see above)."""

        def register(fn: BatchHandler) -> BatchHandler:
            self.batched.add(fn)
            return self.on(*event_types)(fn)  # type: ignore[arg-type]

        return register

    def consumer(self, runtime: Any, **options: Any) -> IdempotentConsumer:
        """The idempotent consumer running these handlers inside `runtime` (filled in when the service starts)."""
        service = runtime.settings.service_name
        name = f"{service}.{self.name}"
        consumer = IdempotentConsumer(service=service, name=name, deps=runtime.deps, **options)

        def unit(session, env: Envelope, fn: Callable) -> UnitOfWork:
            uow = UnitOfWork(session, outbox=runtime.outbox, clock=runtime.clock, settings=runtime.settings,
                             actor=Principal.service(env.tenant.dealer_group_id, name), envelope=env,
                             command=fn.__name__)
            if not trace.get_current_span().get_span_context().is_valid:  # no span: carry the event's trace on
                uow.trace_headers = {k: v for k, v in (("traceparent", env.traceparent),
                                                       ("tracestate", env.tracestate)) if v}
            return uow

        def adapt(fn: Callable):
            if fn in self.batched:
                async def handle(session, env: Envelope, event: DomainEvent) -> None:
                    await fn([(unit(session, env, fn), event)])

                async def handle_many(session, items: list[tuple[Envelope, DomainEvent]]) -> None:
                    await fn([(unit(session, env, fn), event) for env, event in items])
                handle.many = handle_many  # type: ignore[attr-defined]
                return handle

            async def handle_one(session, env: Envelope, event: DomainEvent) -> None:
                await fn(unit(session, env, fn), event)
            return handle_one

        for topic, handlers in self.by_topic.items():
            consumer.subscribe(topic, {cls: adapt(fn) for cls, fn in handlers.items()})
        return consumer


class Notifications:
    """Handlers every instance of the service runs for every event of their types: a notification (refresh the
    pages this instance serves), not a business effect. No consumer group, no inbox, no transaction:

        boards = Notifications("boards")

        @boards.on(workshop.JobDispatched)
        async def nudge(env: Envelope, e: workshop.JobDispatched) -> None:
            ...   # env: the CloudEvent (tenant, time, ids)

    shared/messaging/notifications.py says what that costs and saves."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.by_type: dict[type[DomainEvent], Notify] = {}

    def on(self, *event_types: type[DomainEvent]) -> Callable[[Notify], Notify]:
        def register(fn: Notify) -> Notify:
            for cls in event_types:
                self.by_type[cls] = fn
            return fn

        return register

    def subscriber(self, runtime: Any) -> NotificationSubscriber:
        """The group-less subscriber running these handlers in `runtime`'s instance."""
        service = runtime.settings.service_name
        return NotificationSubscriber(service=service, name=f"{service}.{self.name}", handlers=self.by_type)
