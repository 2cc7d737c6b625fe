"""What every service's OpenAPI says beyond its routes: one error model, the 4xx answers each
operation can give, the servers it runs on and its tags, declared.

Integrators generate clients from these documents, so an answer the service can give must be in
them: an operation behind a token can answer 401 and 403; one naming a record in its path or its body 404; a
command 409 (a refused transition, a stale version, a duplicate); one taking input 422, and 400
when its body cannot even be read. All of them carry the same JSON body, `Error`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException


class Error(BaseModel):
    """Every refusal: what went wrong, its kind, and the field or state it concerns."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    detail: str = Field(description="What went wrong, for a person")
    error: str = Field(description="The kind of refusal, e.g. NotFound, InvalidTransition, StaleVersion")
    field: str | None = Field(default=None, description="The request field at fault, when one is")
    current_state: str | None = Field(default=None, description="The record's state, when a transition is refused")


ERROR_ANSWERS = {
    400: "The body could not be read (not UTF-8 or not JSON).",
    401: "No valid token: log in (again).",
    403: "A role or a store outside the caller's scope.",
    404: ("The record named in the path, or one the body refers to (`field` names it), does not exist in the "
          "caller's dealer group."),
    409: "Refused by the record's state, a stale version, or a duplicate.",
    413: "The request body is larger than the gateway accepts (`limit_bytes` names the limit).",
    422: "Invalid input: the field is named.",
    429: "Too many requests: a rate limit is exceeded (`limit` names it); retry after Retry-After seconds.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before sending the request again",
                               "schema": {"type": "integer", "minimum": 1}}}


@dataclass(frozen=True)
class EdgeLimits:
    """What a front door (the gateway) refuses before its routes: any operation behind a token can answer
    429 (rate limits), any command or operation with a body 413 (size limit). An app sets it as
    `app.state.edge_limits`; `summary` (the limits in force) is added to the document's description."""

    summary: str


COMMAND_METHODS = {"post", "put", "patch", "delete"}


def answers(*codes: int) -> dict[int, dict[str, Any]]:
    """Error answers a route gives beyond those its shape implies (e.g. 401 from a login form)."""
    return {code: {"model": Error, "description": ERROR_ANSWERS[code]} for code in codes}


LINKS = "x-links-to"  # the route's declaration (openapi_extra), turned into OpenAPI links by `document`


def links_to(*paths: str, **params: str) -> dict[str, Any]:
    """A route's `openapi_extra` saying its answer names a record other operations take: every operation on each
    of `paths` and below it (its history, its commands) gets an OpenAPI link from this operation's success
    answer, so clients and the fuzzer's stateful phase chain them (POST /customers, then GET, PATCH
    /customers/{customer_id}). A path parameter is taken from `params` by name — a runtime expression
    (`$request.path.store_id`) or a pointer into the answer's body (`jobs/0/job_id`) — and otherwise is the
    answer's `id`; operations below a path with parameters neither names are left out."""
    return {LINKS: {"paths": list(paths), "params": params}}


def _path_params(path: str) -> list[str]:
    return re.findall(r"{([^}]+)}", path)


def _links(source: tuple[str, str], declared: dict[str, Any], paths: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI links of a `links_to` declaration on `source`, keyed by the target's operationId."""
    given = declared["params"]
    out: dict[str, Any] = {}
    for target in declared["paths"]:
        own = set(_path_params(target))
        for path, operations in paths.items():
            if path != target and not path.startswith(target + "/"):
                continue
            names = _path_params(path)
            if any(n not in own and n not in given for n in names):
                continue
            exprs = {n: given.get(n, "id") for n in names}
            exprs = {n: e if e.startswith("$") else f"$response.body#/{e}" for n, e in exprs.items()}
            for method, op in operations.items():
                if (path, method) == source:
                    continue
                out[op["operationId"]] = {"operationId": op["operationId"], "parameters": exprs,
                                          "description": f"{method.upper()} {path} on the record this answer names"}
    return out


def error_answers(path: str, method: str, operation: dict[str, Any], edge: EdgeLimits | None = None) -> list[int]:
    codes = []
    if edge is not None:
        if operation.get("security"):
            codes.append(429)
        if method in COMMAND_METHODS or operation.get("requestBody"):
            codes.append(413)
    if operation.get("security"):
        codes += [401, 403]
    if "{" in path or operation.get("requestBody"):  # a body names records too: a customer, a vehicle, a part
        codes.append(404)
    if method in COMMAND_METHODS:
        codes.append(409)
    if operation.get("parameters") or operation.get("requestBody"):
        codes.append(422)
    if operation.get("requestBody"):
        codes.append(400)
    return sorted(codes)


async def _request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
    """The request did not match its schema: the same body as every other refusal, first field named."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    field = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    return JSONResponse({"detail": first.get("msg", "invalid request"), "error": "ValidationError",
                         "field": field or None,
                         "errors": [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg")}
                                    for e in errors]}, status_code=422)


async def _http_refusal(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    """The framework's own refusals (an unreadable body, a method not allowed) in the same Error body; an
    HTTPException of ours that has a `body()` (the gateway's PayloadTooLarge) answers that."""
    if callable(getattr(exc, "body", None)):
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=getattr(exc, "headers", None))
    try:
        kind = HTTPStatus(exc.status_code).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        kind = "HTTPError"
    return JSONResponse({"detail": str(exc.detail), "error": kind}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


def _route_marks(app: FastAPI, found) -> dict[tuple[str, str], Any]:
    """(path, METHOD) -> what `found(dependant)` reads from the route's dependencies, where it is not None."""
    from fastapi.routing import APIRoute

    out: dict[tuple[str, str], Any] = {}

    def walk(routes, prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                if (mark := found(route.dependant)) is not None:
                    for m in route.methods:
                        out[(prefix + route.path_format, m)] = mark
            elif (inner := getattr(route, "original_router", None)) is not None:
                # FastAPI >= 0.16x includes routers lazily: the routes are the included router's
                context = getattr(route, "include_context", None)
                walk(inner.routes, prefix + getattr(context, "prefix", ""))

    walk(app.routes, "")
    return out


def _dependency_attr(name: str, kind: type):
    def found(dependant):
        value = getattr(dependant.call, name, None)
        if isinstance(value, kind):
            return value
        for sub in dependant.dependencies:
            if (v := found(sub)) is not None:
                return v
        return None
    return found


def route_roles(app: FastAPI) -> dict[tuple[str, str], list[str]]:
    """(path, METHOD) -> the roles its `require_roles` dependency allows (shared.auth)."""
    return {k: v for k, v in _route_marks(app, _dependency_attr("roles", list)).items() if v}


def paged_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(path, METHOD) of the lists that take the kit's `Page` (shared.kit.pages)."""
    return set(_route_marks(app, _dependency_attr("paged", bool)))


PAGE_HEADERS = {
    "Link": {"description": 'The next page, `<url>; rel="next"` (RFC 8288); absent on the last page.',
             "schema": {"type": "string"}},
    "X-Next-Cursor": {"description": "The `cursor` of the next page; absent on the last page.",
                      "schema": {"type": "string"}},
}
PAGE_NOTE = ("\n\nPaged by cursor: at most `limit` records in the list's order; a next page is announced in "
             "`Link` (rel=\"next\") and `X-Next-Cursor`. A cursor altered or reused with other filters is 422.")


def document(app: FastAPI, *, servers: list[dict[str, str]], tags: dict[str, str]) -> None:
    """Give `app` the error model, its documented 4xx answers, servers and declared tags."""
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_refusal)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes, servers=servers,
                             separate_input_output_schemas=app.separate_input_output_schemas)
        paths = schema.get("paths", {})
        used = sorted({t for ops in paths.values() for op in ops.values() for t in op.get("tags", [])})
        schema["tags"] = [{"name": t, "description": tags.get(t, t)} for t in used]
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = Error.model_json_schema()
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        allowed = route_roles(app)
        paged = paged_routes(app)
        edge: EdgeLimits | None = getattr(app.state, "edge_limits", None)
        if edge is not None:
            schema["info"]["description"] = f"{schema['info'].get('description', '')}\n\n{edge.summary}".strip()
        for path, operations in schema.get("paths", {}).items():
            for method, op in operations.items():
                if (path, method.upper()) in paged:
                    op["responses"]["200"]["headers"] = PAGE_HEADERS
                    op["description"] = (op.get("description", "") + PAGE_NOTE).strip()
                roles = allowed.get((path, method.upper()))
                if roles:
                    op["x-roles"] = roles
                    op["description"] = (op.get("description", "") + f"\n\nRoles allowed: {', '.join(roles)}.").strip()
                if (declared := op.pop(LINKS, None)) is not None:
                    ok = next(c for c in ("201", "200", "202") if c in op["responses"])
                    op["responses"][ok]["links"] = _links((path, method), declared, paths)
                for code in error_answers(path, method, op, edge):
                    op["responses"][str(code)] = {"description": ERROR_ANSWERS[code], "content": ref}
                if "429" in op["responses"]:
                    op["responses"]["429"]["headers"] = RETRY_AFTER
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
