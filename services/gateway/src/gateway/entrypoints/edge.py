"""The gateway's edge: the request size limit (ASGI middleware, before any route) and where the rate
limits are taken (adapters/rate_limits.py: the policy)."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..adapters.rate_limits import RateLimits


class PayloadTooLarge(HTTPException):
    """Raised while the body is read. FastAPI passes its HTTPException from body parsing through unchanged
    (any other exception there becomes a 400), and the app answers it in the shared Error body."""

    error = "PayloadTooLarge"

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=f"the request body is larger than the gateway accepts ({limit} bytes, "
                                     "MAX_REQUEST_BODY_BYTES)")
        self.extra = {"limit_bytes": limit}

    def body(self) -> dict:
        return {"detail": self.detail, "error": self.error, **self.extra}


class BodyLimit:
    """Refuses a request body over `max_bytes` with 413. A declared Content-Length over the limit is refused
    before anything else runs; a body without one (chunked) is counted as it streams in and refused at the
    first chunk past the limit, so no more than the limit is ever held. A route that never reads the body
    (e.g. one refusing the token first) does not read it here either.

    Not Starlette's own `max_body_size`: where a route answers without reading the body it replaces the
    answer by a text/plain "Content Too Large", neither the shared Error body nor naming the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(self.max_bytes)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except PayloadTooLarge:  # read outside the app's error handling (e.g. by a middleware)
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse(PayloadTooLarge(self.max_bytes).body(), status_code=413)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length; counting still applies
    return None


def limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


def client_address(request: Request) -> str | None:
    """The caller's address as the server saw it (behind a proxy: uvicorn's --forwarded-allow-ips decides
    whether X-Forwarded-For is believed)."""
    return request.client.host if request.client else None


def summary(limits: RateLimits, max_body_bytes: int) -> str:
    """The limits in force, for the OpenAPI description."""
    def rates(limit) -> str:
        return " and ".join(str(r) for r in limit.rates) + f" ({limit.setting})"

    return (f"**Limits** (counted per gateway instance). Every route behind a token: per user "
            f"{rates(limits.per_user)}, per dealer group {rates(limits.per_group)}. Login and refresh: per "
            f"client address {rates(limits.per_address)}; login also per username {rates(limits.per_username)}. "
            f"Over a rate limit: 429 with Retry-After (seconds), the body naming the limit. Request bodies up "
            f"to {max_body_bytes} bytes (MAX_REQUEST_BODY_BYTES), else 413.")
