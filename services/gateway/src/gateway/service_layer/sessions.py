"""Login, refresh, logout and the token guard: the gateway's sessions (families of refresh tokens)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from shared.auth import Principal, Role, issue_token
from shared.contracts.organisation import SessionRevoked
from shared.errors import Unauthorized
from shared.messaging.envelope import Tenant
from shared.messaging.outbox import Outbox
from sqlalchemy import bindparam, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..adapters.orm import LoginSessionRow, RefreshTokenRow, UserRow
from ..config import GatewaySettings
from ..domain.passwords import check_login, hash_password, needs_rehash
from ..domain.sessions import Refresh, hash_refresh_token, judge_refresh, new_refresh_token

# Records events in the caller's transaction: `uow.publish`, or `publisher(outbox, session)`.
Publish = Callable[..., Awaitable[object]]


def publisher(outbox: Outbox, session: AsyncSession) -> Publish:
    """Events into the outbox in `session`'s transaction (the revocations every service learns of)."""
    return partial(outbox.record_all, session)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    session_id: str


def principal_of(user: UserRow, session_id: str | None) -> Principal:
    return Principal(user_id=user.id, name=user.display_name, dealer_group_id=user.dealer_group_id,
                     roles=frozenset(Role(r) for r in user.roles if r in Role._value2member_map_),
                     store_ids=frozenset(user.store_ids), session_id=session_id)


async def _issue(session: AsyncSession, settings: GatewaySettings, user: UserRow, session_id: str,
                 now: datetime) -> Tokens:
    token, digest = new_refresh_token()
    session.add(RefreshTokenRow(token_hash=digest, session_id=session_id, issued_at=now,
                                expires_at=now + timedelta(seconds=settings.refresh_ttl_seconds)))
    access = issue_token(principal_of(user, session_id), key=settings.signing_key, issuer=settings.jwt_issuer,
                         ttl_seconds=settings.jwt_ttl_seconds)
    return Tokens(access, settings.jwt_ttl_seconds, token, settings.refresh_ttl_seconds, session_id)


async def login(session: AsyncSession, settings: GatewaySettings, username: str, password: str,
                now: datetime) -> Tokens:
    """Constant work whoever asks (check_login); an old or weaker hash is replaced on success."""
    user = await session.get(UserRow, username, with_for_update=True)
    ok = await asyncio.to_thread(check_login, user.password_hash if user else None, password,
                                 active=bool(user and user.active))
    if not ok or user is None:
        raise Unauthorized("wrong username or password")
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    sid = str(uuid.uuid4())
    session.add(LoginSessionRow(id=sid, user_id=user.id, dealer_group_id=user.dealer_group_id, created_at=now))
    await session.flush()
    return await _issue(session, settings, user, sid, now)


async def refresh(session: AsyncSession, settings: GatewaySettings, token: str, now: datetime, *,
                  publish: Publish) -> Tokens | Refresh:
    """A new pair for an unspent refresh token (which is spent now); else the refusal. A reused token
    revokes its family here (published, so every service refuses its access tokens too), so the caller
    must commit before refusing."""
    row = (await session.execute(select(RefreshTokenRow).where(
        RefreshTokenRow.token_hash == hash_refresh_token(token)).with_for_update())).scalar_one_or_none()
    if row is None:
        return Refresh.UNKNOWN
    login_session = await session.get(LoginSessionRow, row.session_id, with_for_update=True)
    user = await session.get(UserRow, login_session.user_id) if login_session else None
    verdict = judge_refresh(spent_at=row.spent_at, expires_at=row.expires_at,
                            session_revoked=login_session is None or login_session.revoked_at is not None,
                            user_active=bool(user and user.active), now=now)
    if verdict is Refresh.REUSED:
        await revoke_session(session, publish, row.session_id, now, reason="refresh token reused")
        return verdict
    if verdict is not Refresh.OK:
        return verdict
    row.spent_at = now
    return await _issue(session, settings, user, row.session_id, now)


async def revoke_session(session: AsyncSession, publish: Publish, session_id: str, now: datetime, *,
                         reason: str) -> None:
    await _revoke(session, publish, LoginSessionRow.id == session_id, now, reason)


async def revoke_user_sessions(session: AsyncSession, publish: Publish, user_id: str, now: datetime, *,
                               reason: str) -> None:
    await _revoke(session, publish, LoginSessionRow.user_id == user_id, now, reason)


async def _revoke(session: AsyncSession, publish: Publish, which, now: datetime, reason: str) -> None:
    """Revoke the live sessions matching `which`, each published as SessionRevoked in the same transaction."""
    t = LoginSessionRow.__table__.c
    rows = (await session.execute(update(LoginSessionRow).where(which, t.revoked_at.is_(None))
                                  .values(revoked_at=now, revoked_reason=reason)
                                  .returning(t.id, t.user_id, t.dealer_group_id))).all()
    for r in rows:
        await publish([SessionRevoked(session_id=r.id, user_id=r.user_id, reason=reason)],
                      tenant=Tenant(r.dealer_group_id, ""))


_USERS, _SESSIONS = UserRow.__table__.c, LoginSessionRow.__table__.c
# The user and the session of a token in one statement (one round trip, no ORM objects): the guard runs on
# every request through the gateway. Each side is null when there is no such row.
_TOKEN_STATE = select(
    _USERS.id.label("user_id"), _USERS.active, _USERS.dealer_group_id, _USERS.roles, _USERS.store_ids,
    _SESSIONS.id.label("session_id"), _SESSIONS.user_id.label("session_user_id"), _SESSIONS.revoked_at,
).select_from(
    select(literal(1).label("one")).subquery("one")
    .outerjoin(UserRow.__table__, _USERS.id == bindparam("uid"))
    .outerjoin(LoginSessionRow.__table__, _SESSIONS.id == bindparam("sid")))


async def check_token(conn: AsyncConnection | AsyncSession, p: Principal) -> None:
    """The gateway's guard on every bearer token: its session is live, its user active, and its roles,
    stores and group still the user's (after a change the client refreshes to get the new ones).
    A token without a session (minted by a test, or by tooling holding the key) is checked against
    the user only if the user exists here."""
    row = (await conn.execute(_TOKEN_STATE, {"uid": p.user_id, "sid": p.session_id})).one()
    if p.session_id is not None:
        if row.session_id is None or row.revoked_at is not None or row.session_user_id != p.user_id:
            raise Unauthorized("session revoked: log in again")
        if row.user_id is None:
            raise Unauthorized("unknown user")
    if row.user_id is None:
        return
    if not row.active:
        raise Unauthorized("user deactivated")
    roles = frozenset(Role(r) for r in row.roles if r in Role._value2member_map_)
    if (row.dealer_group_id, roles, frozenset(row.store_ids)) != (p.dealer_group_id, p.roles, p.store_ids):
        raise Unauthorized("the user's roles or stores changed: refresh the token")
