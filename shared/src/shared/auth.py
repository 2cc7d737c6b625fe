"""JWT verification and role checks as FastAPI dependencies.

The gateway issues ES256 tokens signed with its private key (header `kid`); every service verifies
them too, with the public key set of its settings (JWT_KEYS), so a service reached directly is no
back door and no service holds a key that could mint a token. Claims: sub, name, roles, dg (dealer
group), stores (the stores the user works at; a group role sees every store of its group, anyone
else only the stores listed), sid (the gateway's login session).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import ECAlgorithm

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
    # The login session (refresh-token family) the token was issued for; revoking it ends the token.
    session_id: str | None = None

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


# -- signing keys ------------------------------------------------------------------------------
# ES256 (ECDSA P-256): the gateway alone holds private keys; every service verifies with the public
# key set (JWKS), so no service can mint a token. Each key has a `kid`, written into the token's
# header, so keys rotate without logging anyone out (docs/architecture.md "Tokens and keys").
ALGORITHM = "ES256"


@dataclass(frozen=True)
class SigningKey:
    """A private key and its kid (the gateway's; tests make their own with `generate_signing_key`)."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def from_jwk(cls, jwk: dict) -> SigningKey:
        if "kid" not in jwk or "d" not in jwk:
            raise ValueError("a signing key needs a kid and its private part d")
        key = ECAlgorithm.from_jwk(jwk)
        if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - "d" makes it private
            raise ValueError(f"key {jwk['kid']!r} is not a private EC key")
        return cls(kid=jwk["kid"], private_key=key)

    def public_jwk(self) -> dict:
        jwk = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    def private_jwk(self) -> dict:
        jwk = ECAlgorithm.to_jwk(self.private_key, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


def generate_signing_key(kid: str) -> SigningKey:
    return SigningKey(kid=kid, private_key=ec.generate_private_key(ec.SECP256R1()))


@dataclass(frozen=True)
class KeySet:
    """The public keys tokens may be signed with, by kid: a JWKS document (RFC 7517)."""

    keys: dict[str, ec.EllipticCurvePublicKey]

    @classmethod
    def of(cls, *keys: SigningKey) -> KeySet:
        return cls({k.kid: k.private_key.public_key() for k in keys})

    def to_jwks(self) -> dict:
        return {"keys": [{**ECAlgorithm.to_jwk(k, as_dict=True), "kid": kid, "alg": ALGORITHM, "use": "sig"}
                         for kid, k in self.keys.items()]}

    def to_json(self) -> str:
        return json.dumps(self.to_jwks())


@lru_cache(maxsize=16)
def parse_key_set(text: str) -> KeySet:
    """A JWKS JSON document -> KeySet (public halves only; private parts, if present, are dropped)."""
    doc = json.loads(text)
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for jwk in doc.get("keys", []):
        if jwk.get("kty") != "EC" or "kid" not in jwk:
            raise ValueError("every key of the set must be an EC key with a kid")
        public = {k: v for k, v in jwk.items() if k != "d"}
        key = ECAlgorithm.from_jwk(public)
        if not isinstance(key, ec.EllipticCurvePublicKey):  # pragma: no cover
            raise ValueError(f"key {jwk['kid']!r} is not an EC public key")
        keys[jwk["kid"]] = key
    if not keys:
        raise ValueError("the key set has no key")
    return KeySet(keys)


@lru_cache(maxsize=16)
def parse_signing_keys(text: str) -> tuple[SigningKey, ...]:
    """A JWKS JSON document with private keys -> the gateway's signing keys, in their order."""
    keys = tuple(SigningKey.from_jwk(jwk) for jwk in json.loads(text).get("keys", []))
    if not keys:
        raise ValueError("the signing key set has no key")
    return keys


def issue_token(
    principal: Principal, *, key: SigningKey, issuer: str, ttl_seconds: int = 900, now: float | None = None
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
    if principal.session_id:
        claims["sid"] = principal.session_id
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify_token(token: str, *, keys: KeySet, issuer: str) -> Principal:
    """Only ES256 with a key of the set: `alg: none`, HS256 (even keyed with the public key), an
    unknown kid, a forged signature, another issuer and an expired token are all 401."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as e:
        raise Unauthorized(f"invalid token: {e}") from e
    if header.get("alg") != ALGORITHM:
        raise Unauthorized(f"invalid token: algorithm {header.get('alg')!r} is not accepted")
    key = keys.keys.get(header.get("kid", ""))
    if key is None:
        raise Unauthorized("invalid token: signed with an unknown key")
    try:
        # "Issued at" is not checked against this host's clock: a gateway whose clock runs ahead would otherwise
        # have every token refused as "not yet valid" by the services behind it (seen with clocks five minutes
        # apart, tests/reliability/test_clock_skew.py). It grants nothing; the expiry is what limits a token.
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=issuer,
                            options={"require": ["exp", "sub", "iss"], "verify_iat": False})
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
        session_id=claims.get("sid"),
    )


_bearer = HTTPBearer(auto_error=False)


TokenGuard = Callable[[Request, Principal], Awaitable[None]]


async def authenticate(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The bearer token, verified with the key set of the settings (JWT_KEYS). An app may add a guard
    (`app.state.token_guard`): the gateway's refuses tokens of a revoked session or deactivated user."""
    if creds is None:
        raise Unauthorized("missing bearer token")
    settings = request.app.state.settings
    principal = verify_token(creds.credentials, keys=parse_key_set(settings.jwt_keys), issuer=settings.jwt_issuer)
    guard: TokenGuard | None = getattr(request.app.state, "token_guard", None)
    if guard is not None:
        await guard(request, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """Dependency: the caller must hold one of `roles` (the service manager may do everything)."""
    allowed = frozenset(roles) | {Role.SERVICE_MANAGER}

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.roles & allowed:
            raise Forbidden(f"needs one of the roles: {', '.join(sorted(r.value for r in allowed))}")
        principal.check_scope()
        return principal

    check.roles = sorted(r.value for r in allowed)  # type: ignore[attr-defined]  # the OpenAPI shows them
    return check
