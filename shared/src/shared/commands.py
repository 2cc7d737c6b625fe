"""Running a command in one unit of work, honouring `Idempotency-Key`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from .auth import Principal
from .db import unit_of_work
from .idempotency import remember, replay, request_hash

IDEMPOTENCY_HEADER = "Idempotency-Key"


async def run_command(
    request: Request,
    principal: Principal,
    body: Any,
    handler: Callable[[AsyncSession], Awaitable[tuple[int, Any]]],
) -> JSONResponse:
    """Run `handler` in one transaction; a retry with the same key returns the first answer."""
    runtime = request.app.state.runtime
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not (1 <= len(key) <= 200):
        return JSONResponse({"detail": "Idempotency-Key must be 1-200 characters", "field": "Idempotency-Key"},
                            status_code=422)
    payload = body.model_dump(mode="json") if hasattr(body, "model_dump") else body
    h = request_hash({"path": request.url.path, "body": payload})
    for _ in range(2):
        try:
            async with unit_of_work(runtime.sessions) as session:
                prior = await replay(session, principal=principal.user_id, key=key, body_hash=h)
                if prior is not None:
                    return JSONResponse(prior[1], status_code=prior[0], headers={"Idempotent-Replayed": "true"})
                status, result = await handler(session)
                await remember(session, principal=principal.user_id, key=key, method=request.method,
                               path=request.url.path, body_hash=h, status_code=status, response=result)
            return JSONResponse(result, status_code=status)
        except IntegrityError as e:
            # A concurrent request with the same key won the race: answer as it did.
            if key is None or "pk_idempotency_keys" not in str(e.orig):
                raise
    raise RuntimeError("unreachable")
