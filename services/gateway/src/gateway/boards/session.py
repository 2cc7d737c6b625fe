"""The boards' login: the gateway's own tokens kept in HttpOnly, SameSite=Strict cookies (path /boards), the
access token renewed with the refresh token when it expires, and the form token that guards the boards' one
action (domain/boards.py csrf_token)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field

from fastapi import Request, Response
from shared.auth import Principal, parse_key_set, verify_token
from shared.db import unit_of_work
from shared.errors import Unauthorized
from shared.observability import current_trace_headers

from ..domain.boards import csrf_ok, csrf_token
from ..entrypoints.edge import client_address, limits
from ..service_layer import sessions
from .labels import Labels, labels, language

PATH = "/boards"
ACCESS, REFRESH, LANG = "boards_access", "boards_refresh", "boards_lang"
# A page load sends several requests at once (the page, its live stream, its fragments): with an expired access
# token each would spend the same refresh token, and a refresh token spent twice revokes the session. Within a
# few seconds the same refresh token gets the pair its first use got.
_RENEWAL_GRACE_SECONDS = 10.0


class LoginNeeded(Exception):
    """No valid session cookie: the page answers with the login page (or tells htmx to go there)."""


@dataclass
class Viewer:
    """The logged-in user of a page: who, their token (sent to the services), their language."""

    principal: Principal
    token: str
    lang: str
    t: Labels
    renewed: sessions.Tokens | None = None
    csrf: str = field(default="")

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", "accept": "application/json", **current_trace_headers()}


def _secret(request: Request) -> bytes:
    """The form tokens' key: derived from the gateway's signing key (secret, stable across restarts)."""
    key = request.app.state.settings.signing_key.private_key.private_numbers().private_value
    return hashlib.sha256(b"boards-csrf-key:" + key.to_bytes(32, "big")).digest()


async def _verify(request: Request, token: str) -> Principal:
    settings = request.app.state.settings
    principal = verify_token(token, keys=parse_key_set(settings.jwt_keys), issuer=settings.jwt_issuer)
    await request.app.state.token_guard(request, principal)
    return principal


async def _renew(request: Request, refresh_token: str) -> sessions.Tokens | None:
    state = request.app.state
    if not hasattr(state, "boards_renewals"):
        state.boards_renewals, state.boards_renewal_lock = {}, asyncio.Lock()
    async with state.boards_renewal_lock:
        now = time.monotonic()
        state.boards_renewals = {k: v for k, v in state.boards_renewals.items() if v[0] > now}
        if refresh_token in state.boards_renewals:
            return state.boards_renewals[refresh_token][1]
        await limits(request).refresh(client_address(request))  # as /auth/refresh
        async with unit_of_work(state.runtime.sessions) as session:
            result = await sessions.refresh(session, state.settings, refresh_token, state.runtime.security_clock.now(),
                                            publish=sessions.publisher(state.runtime.outbox, session))
        if isinstance(result, sessions.Tokens):
            state.boards_renewals[refresh_token] = (now + _RENEWAL_GRACE_SECONDS, result)
            return result
        return None


async def viewer(request: Request) -> Viewer:
    """The page's user from the cookies, renewing an expired access token; LoginNeeded without a session."""
    lang = language(request.query_params.get("lang"), request.cookies.get(LANG))
    token, principal, renewed = request.cookies.get(ACCESS), None, None
    if token:
        try:
            principal = await _verify(request, token)
        except Unauthorized:
            principal = None
    if principal is None and request.cookies.get(REFRESH):
        renewed = await _renew(request, request.cookies[REFRESH])
        if renewed is not None:
            token = renewed.access_token
            principal = await _verify(request, token)
    if principal is None or token is None:
        raise LoginNeeded()
    request.state.authorization = f"Bearer {token}"  # the gateway's composed queries send it on (api._headers)
    return Viewer(principal=principal, token=token, lang=lang, t=labels(lang), renewed=renewed,
                  csrf=csrf_token(_secret(request), principal.session_id or ""))


def check_form(request: Request, who: Viewer, token: str | None) -> None:
    """A state-changing form: sent from our own pages (Origin, when the browser sends one, is this host) and
    carrying the session's form token."""
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
        raise Unauthorized("the form was not sent from the boards' own pages", field="origin")
    if not csrf_ok(_secret(request), who.principal.session_id, token):
        raise Unauthorized("the form's token does not belong to this session: reload the page", field="csrf")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def keep(request: Request, response: Response, who: Viewer | None = None, tokens: sessions.Tokens | None = None
         ) -> Response:
    """Write the cookies a response must carry: a renewed (or new) pair of tokens, the language chosen."""
    tokens = tokens or (who.renewed if who else None)
    opts = dict(httponly=True, samesite="strict", secure=_secure(request), path=PATH)
    if tokens is not None:
        response.set_cookie(ACCESS, tokens.access_token, max_age=tokens.expires_in, **opts)
        response.set_cookie(REFRESH, tokens.refresh_token, max_age=tokens.refresh_expires_in, **opts)
    if who is not None and request.query_params.get("lang") == who.lang:
        response.set_cookie(LANG, who.lang, max_age=365 * 24 * 3600, **opts)
    return response


def forget(request: Request, response: Response) -> Response:
    for name in (ACCESS, REFRESH):
        response.delete_cookie(name, path=PATH, httponly=True, samesite="strict", secure=_secure(request))
    return response
