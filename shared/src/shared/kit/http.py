"""The one way to declare HTTP routes on the kit: `Command(...)` for changes, `Query(...)` for reads.

A route only translates: path and body into a command, the handler's result into a view::

    AdvisorCommand = Command(Role.ADVISOR, Role.FRONT_DESK_SUPERVISOR)   # roles allowed, once
    Reader = Query(Role.ADVISOR, Role.GROUP_ANALYST)

    @router.post("/repair-orders/{ro_id}/open", response_model=RepairOrderView)
    async def open_order(ro_id: str, body: OpenOrder, run: AdvisorCommand):
        return await run(handlers.open_order, body.bind(repair_order_id=ro_id), view=views.repair_order)

    @router.get("/repair-orders/{ro_id}", response_model=RepairOrderView)
    async def get_order(ro_id: str, uow: Reader):
        return await views.repair_order(uow, await uow.repo(RepairOrders).get(ro_id, lock=False))

`run` opens one transaction, honours `Idempotency-Key` (a retry returns the first answer and
changes nothing; the key is recorded in the same transaction as the change), calls
`handler(uow, cmd)`, renders `view(uow, result)` and commits. Errors are domain errors, mapped
to 4xx once by the service factory.
"""

# No `from __future__ import annotations` here: FastAPI reads the route parameters' annotations at
# run time from the module's globals, and `Command`/`Query` annotate their dependencies with a local
# (`Depends(check)`), which a string annotation could not resolve.
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError

from shared.auth import Principal, Role, require_roles
from shared.errors import DomainError
from shared.idempotency import claim, remember, replay, request_hash
from shared.observability import current_trace_id

from .uow import UnitOfWork

IDEMPOTENCY_HEADER = "Idempotency-Key"

Handler = Callable[[UnitOfWork, Any], Awaitable[Any]]
View = Callable[[UnitOfWork, Any], Any]


class CommandBody(BaseModel):
    """A request body that is a command: strict (unknown fields are refused), strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def bind(self, **ids: Any):
        """The command with the ids the path names (they are not part of the body)."""
        return self.model_copy(update=ids)


CORRELATION_HEADER = "X-Correlation-Id"


def unit_of_work_for(request: Request, session, actor: Principal, command: str | None = None) -> UnitOfWork:
    """A unit of work for this request. Its correlation id (the caller's, else the request's trace id) goes
    on the audit rows and the events of the command, and on what those events cause in other services."""
    rt = request.app.state.runtime
    correlation = (request.headers.get(CORRELATION_HEADER) or "")[:200] or current_trace_id()
    return UnitOfWork(session, outbox=rt.outbox, clock=rt.clock, settings=request.app.state.settings,
                      actor=actor, command=command, correlation_id=correlation)


async def _render(view: View | None, uow: UnitOfWork, result: Any) -> Any:
    out = view(uow, result) if view else result
    if inspect.isawaitable(out):
        out = await out
    if isinstance(out, BaseModel):
        return out.model_dump(mode="json")
    if isinstance(out, list):
        return [o.model_dump(mode="json") if isinstance(o, BaseModel) else o for o in out]
    return out


class CommandRunner:
    """Runs one command in one transaction for the calling principal."""

    def __init__(self, request: Request, principal: Principal) -> None:
        self.request = request
        self.principal = principal

    async def __call__(self, handler: Handler, cmd: Any, *, view: View | None = None,
                       status: int = 200) -> JSONResponse:
        request = self.request
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is not None and not (1 <= len(key) <= 200):
            raise DomainError("Idempotency-Key must be 1-200 characters", field=IDEMPOTENCY_HEADER)
        payload = cmd.model_dump(mode="json") if isinstance(cmd, BaseModel) else cmd
        body_hash = request_hash({"path": request.url.path, "body": payload})
        sessions = request.app.state.runtime.sessions
        for _ in range(2):
            try:
                async with sessions() as session, session.begin():
                    await claim(session, principal=self.principal.user_id, key=key)
                    prior = await replay(session, principal=self.principal.user_id, key=key, body_hash=body_hash)
                    if prior is not None:
                        return JSONResponse(prior[1], status_code=prior[0], headers={"Idempotent-Replayed": "true"})
                    uow = unit_of_work_for(request, session, self.principal, handler.__name__)
                    result = await _render(view, uow, await handler(uow, cmd))
                    await remember(session, principal=self.principal.user_id, key=key, method=request.method,
                                   path=request.url.path, body_hash=body_hash, status_code=status, response=result)
                return JSONResponse(result, status_code=status)
            except IntegrityError as e:
                # A concurrent request with the same key won the race: answer as it did.
                if key is None or "pk_idempotency_keys" not in str(e.orig):
                    raise
        raise RuntimeError("unreachable")


def Command(*roles: Role) -> Any:
    """A route parameter that runs commands for a caller holding one of `roles`."""
    check = require_roles(*roles)

    def runner(request: Request, principal: Annotated[Principal, Depends(check)]) -> CommandRunner:
        return CommandRunner(request, principal)

    return Annotated[CommandRunner, Depends(runner)]


def Query(*roles: Role) -> Any:
    """A route parameter: a read-only unit of work for a caller holding one of `roles`."""
    check = require_roles(*roles)

    async def reader(request: Request, principal: Annotated[Principal, Depends(check)]) -> AsyncIterator[UnitOfWork]:
        async with request.app.state.runtime.sessions() as session, session.begin():
            yield unit_of_work_for(request, session, principal)

    return Annotated[UnitOfWork, Depends(reader)]


# Who may read an aggregate's audit trail (the service manager may, as always).
AuditReader = Query(Role.FRONT_DESK_SUPERVISOR, Role.GENERAL_MANAGER, Role.GROUP_ADMIN, Role.GROUP_ANALYST)
