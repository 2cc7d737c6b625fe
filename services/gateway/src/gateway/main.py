"""Composition root of the gateway."""

from __future__ import annotations

from http.cookiejar import CookieJar
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from shared.auth import Principal
from shared.clock import Clock
from shared.openapi import EdgeLimits
from shared.service import SERVER_KEEPALIVE_SECONDS, Runtime, create_service_app
from starlette.middleware import Middleware

from .adapters.rate_limits import RateLimits
from .adapters.upstream import AiohttpTransport
from .boards import live
from .boards.pages import login_needed
from .boards.pages import router as boards
from .boards.session import LoginNeeded
from .config import Settings
from .entrypoints import edge
from .entrypoints.api import router
from .entrypoints.composed_routes import router as composed
from .entrypoints.figures import router as figures
from .entrypoints.identity import router as identity
from .service_layer.sessions import check_token

KEEPALIVE_EXPIRY_SECONDS = SERVER_KEEPALIVE_SECONDS / 2


class NoCookies(CookieJar):
    """The upstream client's cookie jar keeps nothing. The client is shared by every caller: a cookie one
    service's answer set for one caller would otherwise go out with the next caller's requests (and taking
    Set-Cookie apart was 6% of the gateway's busy samples on a composed read). The boards' own cookies are the
    browser's, never the upstream client's."""

    def extract_cookies(self, response, request) -> None:
        pass

    def set_cookie(self, cookie) -> None:
        pass


MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
BOARDS_STATIC = Path(__file__).resolve().parent / "boards" / "static"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    app: FastAPI

    # Pooled connections are dropped while idle well before the services' own keep-alive
    # (shared.service.SERVER_KEEPALIVE_SECONDS) closes them: reusing one the service just closed answered 503
    # (RemoteProtocolError) under load. The requests go over aiohttp (adapters/upstream.py: half httpx's own
    # client CPU per request); the gateway keeps httpx's API. No proxy from the environment: the services are
    # the platform's own, and an environment proxy would route around the transport.
    async def started(runtime: Runtime) -> None:
        app.state.http = app.state.upstream = httpx.AsyncClient(
            transport=AiohttpTransport(keepalive_seconds=KEEPALIVE_EXPIRY_SECONDS),
            timeout=settings.upstream_timeout_seconds, cookies=NoCookies(), trust_env=False)

    async def stopping(runtime: Runtime) -> None:
        if upstream := getattr(app.state, "upstream", None):  # ours, even when a test put its own in app.state.http
            await upstream.aclose()

    async def token_guard(_: Request, principal: Principal) -> None:
        """Every verified token: the caller's rate limits (before any database work), then revocation: a
        logged-out session's or a deactivated user's token stops here at once."""
        await app.state.rate_limits.caller(principal)
        # One read, outside a transaction: no BEGIN and ROLLBACK round trips around it on every request.
        async with app.state.runtime.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await check_token(conn, principal)

    hub = live.Hub()
    app = create_service_app(
        settings,
        routers=[identity, figures, composed, boards, router],  # ahead of api's pass-through /api/{service}/{path}
        notifications=[live.notifications(hub)],  # the boards' live refresh, on every instance
        clock=clock,
        on_started=started,
        on_stopping=stopping,
    )
    app.state.token_guard = token_guard
    app.state.boards_hub = hub
    app.add_exception_handler(LoginNeeded, login_needed)
    app.mount("/static/boards", StaticFiles(directory=BOARDS_STATIC), name="boards-static")
    app.state.rate_limits = RateLimits(settings)
    app.state.edge_limits = EdgeLimits(edge.summary(app.state.rate_limits, settings.max_request_body_bytes))
    # Innermost, next to the routes: a middleware built on BaseHTTPMiddleware (the HTTP metrics) reads the
    # body in a task group, which would wrap our 413 in an ExceptionGroup that FastAPI answers 400.
    app.user_middleware.append(Middleware(edge.BodyLimit, max_bytes=settings.max_request_body_bytes))
    return app
