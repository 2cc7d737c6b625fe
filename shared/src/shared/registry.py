"""The platform's services, named once: ports, databases, topics, consumer groups, app factories.

Everything that lists the services reads this module: the gateway's upstream URLs and routes, the
launcher, the generated docs and deploy/observability/prometheus.yml, the test support. Adding a
service means adding it here (and its folder under services/, and docker-compose.yml, which a test
checks against this list).

    from shared import registry
    registry.service("crm").http_port          # 8005
    [s.name for s in registry.backends()]      # the services behind the gateway
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import claims, crm, organisation, parts, reception, workshop

LOCAL_HOST = "127.0.0.1"
LOCAL_DATABASE_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:55432"  # deploy/postgres/pg.sh's default


@dataclass(frozen=True)
class Service:
    """One service of the platform."""

    name: str
    http_port: int
    database: str
    summary: str
    """One line on what it owns (the AsyncAPI document's tag for it)."""
    produces: tuple[str, ...] = ()
    """Topics it publishes (through its outbox)."""
    consumer_groups: tuple[str, ...] = ()
    """Its Kafka consumer group ids (before KAFKA_GROUP_PREFIX), as `create_app()` builds them."""
    notifications: tuple[str, ...] = ()
    """Its notification subscribers, as `create_app()` builds them (shared/messaging/notifications.py): no
    consumer group, each instance reads every partition of their topics from the end. They commit no offsets
    and keep no instance idle, so, unlike a group, they bound neither the autoscaler nor the lag alerts."""
    reads: tuple[str, ...] = ()
    """Topics it reads per the event catalogue (docs/asyncapi.yaml); its consumer groups and notification
    subscribers subscribe to a subset of them (some readers are not built yet)."""
    fronted: bool = True
    """Reachable through the gateway at /api/<name>/... (the gateway itself is not)."""

    @property
    def package(self) -> str:
        """Its Python package: `python -m <package>` runs it; `<package>.main.MIGRATIONS` migrates it."""
        return self.name

    @property
    def app_factory(self) -> str:
        return f"{self.package}.main:create_app"

    @property
    def url_env(self) -> str:
        """The gateway's environment variable for this service's URL."""
        return f"{self.name.upper()}_URL"

    def url(self, host: str = LOCAL_HOST, port: int | None = None) -> str:
        return f"http://{host}:{port or self.http_port}"

    def database_url(self, server: str = LOCAL_DATABASE_SERVER) -> str:
        """SQLAlchemy URL of its database on `server` (scheme, user and host, no database)."""
        return f"{server.rstrip('/')}/{self.database}"


# Every backend keeps the organisation replica (shared.kit.organisation): the gateway's stores and revocations.
ORGANISATION_READS = (organisation.ORGANISATION, organisation.SESSIONS)


# Start order: each after the services it reads from where possible; the gateway last (it fronts the rest).
SERVICES: tuple[Service, ...] = (
    Service(
        "crm", 8005, "crm",
        summary="Customers and vehicles (system of record), follow-up calls, complaints, reminders.",
        produces=(crm.CUSTOMERS, crm.FOLLOW_UPS, crm.COMPLAINTS),
        consumer_groups=("crm.organisation", "crm.care"),
        reads=(*ORGANISATION_READS, reception.APPOINTMENTS, reception.REPAIR_ORDERS, workshop.JOBS, claims.WARRANTY,
               claims.INSURANCE),
    ),
    Service(
        "reception", 8001, "reception",
        summary="Bookings, check-ins, repair orders, settlement and delivery.",
        produces=(reception.APPOINTMENTS, reception.REPAIR_ORDERS),
        consumer_groups=("reception.organisation", "reception.replicas", "reception.catalogue", "reception.stock",
                         "reception.workshop-jobs", "reception.parts-issues"),
        reads=(*ORGANISATION_READS, crm.CUSTOMERS, workshop.JOBS, workshop.CATALOGUE, parts.ISSUES, parts.STOCK,
               claims.WARRANTY, claims.INSURANCE, crm.FOLLOW_UPS, crm.COMPLAINTS),
    ),
    Service(
        "workshop", 8002, "workshop",
        summary="Dispatch, repair, the three quality checks, operation codes and capacity.",
        produces=(workshop.JOBS, workshop.CATALOGUE),
        consumer_groups=("workshop.organisation", "workshop.repair-orders", "workshop.parts-issues"),
        reads=(*ORGANISATION_READS, reception.APPOINTMENTS, reception.REPAIR_ORDERS, parts.ISSUES),
    ),
    Service(
        "parts", 8003, "parts",
        summary="The parts room: stock, reservations, issues, purchasing, counts and write-offs.",
        produces=(parts.ISSUES, parts.STOCK),
        consumer_groups=("parts.organisation", "parts.reception", "parts.workshop-jobs"),
        reads=(*ORGANISATION_READS, reception.APPOINTMENTS, reception.REPAIR_ORDERS, workshop.JOBS),
    ),
    Service(
        "claims", 8004, "claims",
        summary="Warranty claims with the manufacturer, insurance claims and their receivables.",
        produces=(claims.WARRANTY, claims.INSURANCE, claims.OEM_CLAIMS),
        consumer_groups=("claims.organisation", "claims.replicas", "claims.repair-orders", "claims.oem-decisions"),
        reads=(*ORGANISATION_READS, crm.CUSTOMERS, reception.REPAIR_ORDERS, parts.ISSUES, claims.OEM_DECISIONS),
    ),
    Service(
        "gateway", 8000, "gateway",
        summary="The dealer group's one public entry: identity, tenancy, composed queries and boards.",
        produces=(organisation.ORGANISATION, organisation.SESSIONS),
        notifications=("gateway.boards",),  # the boards' live refresh, on every instance (gateway/boards/live.py)
        reads=(crm.COMPLAINTS, workshop.JOBS, reception.REPAIR_ORDERS, reception.APPOINTMENTS),
        fronted=False,
    ),
)

# Partitions of a topic in production (deploy/k8s/, generated from here): no consumer group can keep more
# instances busy than the partitions of what it reads, so this also bounds each service's autoscaler
# (a notification subscriber has no group: it bounds nothing).
# An override may only raise a topic above the default: services create a missing topic with the default
# (KAFKA_PARTITIONS) and Kafka can add partitions to a topic, never take them away.
DEFAULT_PARTITIONS = 12
TOPIC_PARTITIONS: dict[str, int] = {}


def partitions(topic: str) -> int:
    """Partitions of `topic` (or of its dead-letter twin) in production."""
    return TOPIC_PARTITIONS.get(topic, DEFAULT_PARTITIONS)


_BY_NAME = {s.name: s for s in SERVICES}


def names() -> tuple[str, ...]:
    """Service names in start order."""
    return tuple(_BY_NAME)


def service(name: str) -> Service:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no service {name!r}; one of {', '.join(_BY_NAME)}") from None


def backends() -> tuple[Service, ...]:
    """The services the gateway fronts (forwards /api/<name>/... to), in start order."""
    return tuple(s for s in SERVICES if s.fronted)


def by_port() -> tuple[Service, ...]:
    """All services, gateway first: the order people read (8000, 8001, ...)."""
    return tuple(sorted(SERVICES, key=lambda s: s.http_port))


def producer_of(topic: str) -> Service | None:
    """The service publishing `topic`; None for a topic from outside (the manufacturer's)."""
    return next((s for s in SERVICES if topic in s.produces), None)


def readers_of(topic: str) -> tuple[Service, ...]:
    return tuple(s for s in SERVICES if topic in s.reads)
