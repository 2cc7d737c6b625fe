"""The gateway's own API: tokens (login, refresh, logout, the public key set) and the organisation
(the dealer group, its stores and users), managed by the group administrator."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from shared.auth import CurrentPrincipal, Role, parse_key_set
from shared.db import unit_of_work
from shared.errors import NotFound, Unauthorized
from shared.kit import AuditEntry, Command, Page, Query, history
from shared.openapi import answers, links_to

from ..adapters.orm import UserRow
from ..adapters.repository import DealerGroups, Stores, Users
from ..domain.sessions import Refresh
from ..domain.users import User
from ..service_layer import organisation as handlers
from ..service_layer import sessions
from ..service_layer.commands import ChangeStore, ChangeUser, CreateUser, OpenStore, RenameGroup, UserCommand
from . import views
from .edge import client_address, limits

router = APIRouter()

GroupAdmin = Command(Role.GROUP_ADMIN)
# A service manager (a store's administrator) manages the users of its own stores (domain/users.py).
UserAdmin = Command(Role.GROUP_ADMIN, Role.SERVICE_MANAGER)
UserReader = Query(Role.GROUP_ADMIN, Role.SERVICE_MANAGER)
Member = Query(*Role)  # anyone of the group reads its group and stores


# -- tokens -----------------------------------------------------------------------------------------
class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the access token is valid")
    refresh_token: str = Field(description="Spent on use: /auth/refresh answers a new one")
    refresh_expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class LoggedOut(BaseModel):
    session_id: str | None
    revoked: bool


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str
    y: str
    kid: str
    alg: str
    use: str


class Jwks(BaseModel):
    keys: list[Jwk]


def _token(t: sessions.Tokens) -> Token:
    return Token(access_token=t.access_token, expires_in=t.expires_in, refresh_token=t.refresh_token,
                 refresh_expires_in=t.refresh_expires_in)


def _now(request: Request):
    """Sessions and refresh tokens keep real time, even while the demo loader moves business time."""
    return request.app.state.runtime.security_clock.now()


def _publisher(request: Request, session):
    return sessions.publisher(request.app.state.runtime.outbox, session)


@router.post("/auth/token", response_model=Token, tags=["auth"], responses=answers(401, 429))
async def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]):
    """OAuth2 password flow: a short-lived access token (ES256 JWT with the user's dealer group, stores
    and roles; its header names the signing key's kid) and a refresh token. Limited per client address
    and per username (429 with Retry-After): password guessing."""
    await limits(request).login(client_address(request), username)
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        tokens = await sessions.login(session, request.app.state.settings, username, password, _now(request))
    return _token(tokens)


_REFUSED = {Refresh.UNKNOWN: "unknown refresh token", Refresh.EXPIRED: "refresh token expired",
            Refresh.REVOKED: "session revoked: log in again",
            Refresh.REUSED: "refresh token already used: the session is revoked, log in again"}


@router.post("/auth/refresh", response_model=Token, tags=["auth"], responses=answers(401, 429))
async def refresh(request: Request, body: RefreshRequest):
    """Spend a refresh token for a new pair. A token used twice is refused and revokes its whole family
    (every token of that login), since one of the two holders is not the user. Limited per client address
    with login (429 with Retry-After)."""
    await limits(request).refresh(client_address(request))
    async with unit_of_work(request.app.state.runtime.sessions) as session:
        result = await sessions.refresh(session, request.app.state.settings, body.refresh_token, _now(request),
                                        publish=_publisher(request, session))
    if isinstance(result, Refresh):  # after the commit: a reuse's revocation stays
        raise Unauthorized(_REFUSED[result], field="refresh_token")
    return _token(result)


@router.post("/auth/logout", response_model=LoggedOut, tags=["auth"])
async def logout(request: Request, principal: CurrentPrincipal):
    """Revoke the caller's session: its refresh tokens, and its access tokens at the gateway."""
    if principal.session_id:
        async with unit_of_work(request.app.state.runtime.sessions) as session:
            await sessions.revoke_session(session, _publisher(request, session), principal.session_id, _now(request),
                                          reason="logout")
    return LoggedOut(session_id=principal.session_id, revoked=principal.session_id is not None)


@router.get("/.well-known/jwks.json", response_model=Jwks, tags=["auth"])
async def jwks(request: Request):
    """The public keys tokens are signed with (the JWT_KEYS every service verifies with)."""
    return parse_key_set(request.app.state.settings.jwt_keys).to_jwks()


class Me(BaseModel):
    user_id: str
    name: str
    dealer_group_id: str
    roles: list[str]
    store_ids: list[str]


@router.get("/me", response_model=Me, tags=["auth"])
async def me(principal: CurrentPrincipal) -> Me:
    return Me(user_id=principal.user_id, name=principal.name, dealer_group_id=principal.dealer_group_id,
              roles=sorted(principal.roles), store_ids=sorted(principal.store_ids))


# -- the organisation -------------------------------------------------------------------------------
@router.get("/org/group", response_model=views.GroupView, tags=["organisation"], responses=answers(404))
async def get_group(uow: Member):
    group = await uow.repo(DealerGroups).find(uow.actor.dealer_group_id, lock=False)
    if group is None:
        raise NotFound("the dealer group has no record yet: a group administrator names it", field="dealer_group_id")
    return views.group(uow, group)


@router.put("/org/group", response_model=views.GroupView, tags=["organisation"])
async def rename_group(body: RenameGroup, run: GroupAdmin):
    return await run(handlers.rename_group, body, view=views.group)


@router.get("/org/stores", response_model=list[views.StoreView], tags=["organisation"])
async def list_stores(uow: Member, page: Page):
    return [views.store(uow, s) for s in await uow.repo(Stores).list(order_by=[Stores.table.c.id], page=page)]


@router.post("/org/stores", response_model=views.StoreView, status_code=201, tags=["organisation"],
             openapi_extra=links_to("/org/stores/{store_id}", store_id="store_id"))
async def open_store(body: OpenStore, run: GroupAdmin):
    return await run(handlers.open_store, body, view=views.store, status=201)


@router.get("/org/stores/{store_id}", response_model=views.StoreView, tags=["organisation"])
async def get_store(store_id: str, uow: Member):
    return views.store(uow, await uow.repo(Stores).get(store_id, lock=False))


@router.put("/org/stores/{store_id}", response_model=views.StoreView, tags=["organisation"])
async def change_store(store_id: str, body: ChangeStore, run: GroupAdmin):
    return await run(handlers.change_store, body.bind(store_id=store_id), view=views.store)


@router.get("/org/users", response_model=list[views.UserView], tags=["organisation"])
async def list_users(uow: UserReader, page: Page):
    """The group's users; a service manager sees those of its stores only."""
    mine = None if uow.actor.spans_group else (lambda u: bool(set(u.store_ids) & uow.actor.store_ids))
    users = await uow.repo(Users).list(order_by=[UserRow.__table__.c.id], page=page, keep=mine)
    return [views.user(uow, u) for u in users]


@router.post("/org/users", response_model=views.UserView, status_code=201, tags=["organisation"],
             openapi_extra=links_to("/org/users/{user_id}", user_id="user_id"))
async def create_user(body: CreateUser, run: UserAdmin):
    """A user of the caller's group. Store roles need at least one store, each a store of the group; only
    a group administrator grants group roles or stores it does not hold."""
    return await run(handlers.create_user, body, view=views.user, status=201)


async def _managed(uow, user_id: str) -> User:
    user = await uow.repo(Users).get(user_id, lock=False)
    user.check_managed_by(uow.actor)
    return user


@router.get("/org/users/{user_id}", response_model=views.UserView, tags=["organisation"])
async def get_user(user_id: str, uow: UserReader):
    return views.user(uow, await _managed(uow, user_id))


@router.patch("/org/users/{user_id}", response_model=views.UserView, tags=["organisation"])
async def change_user(user_id: str, body: ChangeUser, run: UserAdmin):
    return await run(handlers.change_user, body.bind(user_id=user_id), view=views.user)


@router.post("/org/users/{user_id}/deactivate", response_model=views.UserView, tags=["organisation"])
async def deactivate_user(user_id: str, run: UserAdmin):
    """The user can no longer log in; every session is revoked (refresh and access tokens)."""
    return await run(handlers.deactivate_user, UserCommand(user_id=user_id), view=views.user)


@router.post("/org/users/{user_id}/reactivate", response_model=views.UserView, tags=["organisation"])
async def reactivate_user(user_id: str, run: UserAdmin):
    return await run(handlers.reactivate_user, UserCommand(user_id=user_id), view=views.user)


@router.get("/org/users/{user_id}/history", response_model=list[AuditEntry], tags=["organisation"])
async def user_history(user_id: str, uow: UserReader):
    """Who changed the user's roles, stores or state, when, with which command (never the password)."""
    await _managed(uow, user_id)
    return await history(uow, Users, user_id)
