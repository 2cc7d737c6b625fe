"""JWT verification and role checks as FastAPI dependencies.

The gateway issues HS256 tokens; every service verifies them too, so a service reached
directly is no back door. Claims: sub, name, roles, dg (dealer group), stores (the stores the user
works at; a group role sees every store of its group, anyone else only the stores listed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .errors import Forbidden, Unauthorized


class Role(StrEnum):
    SERVICE_MANAGER = "service_manager"
    FRONT_DESK_SUPERVISOR = "front_desk_supervisor"
    ADVISOR = "advisor"
    WORKSHOP_SUPERVISOR = "workshop_supervisor"
    TECHNICAL_DIRECTOR = "technical_director"
    TEAM_LEADER = "team_leader"
    TECHNICIAN = "technician"
    QC_INSPECTOR = "qc_inspector"
    PARTS_MANAGER = "parts_manager"
    PARTS_CLERK = "parts_clerk"
    WARRANTY_SPECIALIST = "warranty_specialist"
    INSURANCE_CLERK = "insurance_clerk"
    CUSTOMER_CARE = "customer_care"
    GENERAL_MANAGER = "general_manager"
    GROUP_ANALYST = "group_analyst"
    GROUP_ADMIN = "group_admin"
    MANUFACTURER = "manufacturer"


GROUP_WIDE_ROLES = frozenset({Role.GROUP_ANALYST, Role.GROUP_ADMIN})


@dataclass(frozen=True)
class Principal:
    user_id: str
    name: str
    dealer_group_id: str
    roles: frozenset[Role]
    store_ids: frozenset[str] = field(default_factory=frozenset)
    # A service acting on an event of its dealer group (a consumer), not a person.
    system: bool = False

    @classmethod
    def service(cls, dealer_group_id: str, name: str) -> Principal:
        return cls(user_id=name, name=name, dealer_group_id=dealer_group_id, roles=frozenset(), system=True)

    @property
    def spans_group(self) -> bool:
        """Only a group role (or a service acting on its group's events) sees every store of the group.
        Scoping fails closed: a store-level user with no stores assigned sees none, never all."""
        return self.system or bool(self.roles & GROUP_WIDE_ROLES)

    def check_scope(self) -> None:
        """A store-level user must have at least one store: with none there is nothing it may see."""
        if not self.spans_group and not self.store_ids:
            raise Forbidden("no store is assigned to this user: a group administrator must assign one",
                            field="stores")

    def can_access_store(self, store_id: str) -> bool:
        return self.spans_group or store_id in self.store_ids

    def check_store(self, store_id: str) -> None:
        """Tenancy: a store outside the caller's scope is refused (a domain error, 403)."""
        if not self.can_access_store(store_id):
            raise Forbidden(f"no access to store {store_id!r}", field="store_id")


def issue_token(
    principal: Principal, *, secret: str, issuer: str, ttl_seconds: int = 8 * 3600, now: float | None = None
) -> str:
    t = int(now if now is not None else time.time())
    claims = {
        "sub": principal.user_id,
        "name": principal.name,
        "dg": principal.dealer_group_id,
        "roles": sorted(r.value for r in principal.roles),
        "stores": sorted(principal.store_ids),
        "iss": issuer,
        "iat": t,
        "exp": t + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(token: str, *, secret: str, issuer: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=issuer,
                            options={"require": ["exp", "sub", "iss"]})
    except jwt.ExpiredSignatureError as e:
        raise Unauthorized("token expired") from e
    except jwt.InvalidTokenError as e:
        raise Unauthorized(f"invalid token: {e}") from e
    roles = set()
    for r in claims.get("roles", []):
        try:
            roles.add(Role(r))
        except ValueError:
            continue  # a role this service does not know grants nothing here
    dg = claims.get("dg")
    if not dg:
        raise Unauthorized("token has no dealer group")
    return Principal(
        user_id=claims["sub"],
        name=claims.get("name", claims["sub"]),
        dealer_group_id=dg,
        roles=frozenset(roles),
        store_ids=frozenset(claims.get("stores", [])),
    )


_bearer = HTTPBearer(auto_error=False)


def authenticate(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if creds is None:
        raise Unauthorized("missing bearer token")
    settings = request.app.state.settings
    return verify_token(creds.credentials, secret=settings.jwt_secret, issuer=settings.jwt_issuer)


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """Dependency: the caller must hold one of `roles` (the service manager may do everything)."""
    allowed = frozenset(roles) | {Role.SERVICE_MANAGER}

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.roles & allowed:
            raise Forbidden(f"needs one of the roles: {', '.join(sorted(r.value for r in allowed))}")
        principal.check_scope()
        return principal

    return check
