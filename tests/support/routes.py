"""The platform's route table as the running services publish it (each one's /openapi.json, with the roles
each operation allows, `x-roles`), and requests filled from it: path and query parameters from a table of
ids, a body that passes the route's schema. The tenancy tests (tests/e2e/test_tenancy.py) probe every
route with them, so a new route is probed without anyone listing it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

COMMANDS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str
    """The service's own path (`/repair-orders/{ro_id}`)."""
    op: dict = field(repr=False, compare=False)
    spec: dict = field(repr=False, compare=False)

    @property
    def url(self) -> str:
        """The path through the gateway (the gateway's own routes are its own)."""
        return self.path if self.service == "gateway" else f"/api/{self.service}{self.path}"

    @property
    def key(self) -> str:
        return f"{self.method} {self.url}"

    @property
    def roles(self) -> list[str] | None:
        return self.op.get("x-roles")

    @property
    def secured(self) -> bool:
        return bool(self.op.get("security"))

    @property
    def command(self) -> bool:
        return self.method in COMMANDS

    def params(self, where: str) -> list[dict]:
        return [p for p in self.op.get("parameters", []) if p["in"] == where]

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{([^}:]+)", self.path)

    def body_schema(self) -> dict | None:
        content = (self.op.get("requestBody") or {}).get("content", {})
        media = content.get("application/json")
        return self.resolve(media["schema"]) if media else None

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema


async def route_table(http: httpx.AsyncClient, urls: Mapping[str, str]) -> list[Route]:
    """Every operation every service publishes (service name -> its base URL)."""
    routes = []
    for service, url in urls.items():
        spec = (await http.get(f"{url}/openapi.json")).json()
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                routes.append(Route(service, method.upper(), path, op, spec))
    return routes


# -- filling a request ----------------------------------------------------------------------------------
Ids = Callable[[Route, str], "str | None"]
"""(route, parameter or body field) -> the id to put there, None when there is none."""


def example(route: Route, schema: dict, ids: Ids, name: str = "") -> Any:
    """The smallest value `schema` accepts (required fields only), ids named from `ids` by field name."""
    schema = route.resolve(schema)
    if name and (given := ids(route, name)) is not None:
        return given
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if route.resolve(s).get("type") != "null"]
            return example(route, options[0], ids, name)
    if "allOf" in schema:
        return example(route, schema["allOf"][0], ids, name)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {k: example(route, v, ids, k) for k, v in schema.get("properties", {}).items() if k in required}
    if kind == "array":
        return [example(route, schema.get("items", {}), ids, name)
                for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "boolean":
        return True
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    return _string(schema)


def _string(schema: dict) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return "2030-01-07"
    if fmt == "date-time":
        return "2030-01-07T10:00:00+08:00"
    if fmt == "time":
        return "09:00:00"
    if (pattern := schema.get("pattern")) and (choice := re.fullmatch(r"\^\(([a-z_]+)\|.*\)\$", pattern)):
        return choice.group(1)
    return "x1" + "x" * max(0, schema.get("minLength", 0) - 2)


@dataclass
class Filled:
    """A request for a route: its gateway path, query and JSON body (None: no body)."""

    url: str
    query: dict[str, str]
    body: Any
    missing: list[str]
    """Path parameters `ids` had no value for: the route cannot be probed with these ids."""

    @property
    def sent(self) -> str:
        """Everything the caller sent, to tell an echo of the request from data it was not given."""
        return f"{self.url} {self.query} {self.body}"


def fill(route: Route, ids: Ids) -> Filled:
    """The route's request with every path parameter, every required query parameter and every optional
    one `ids` knows (a store filter), and a body that passes its schema."""
    missing, url = [], route.url
    for name in route.path_params:
        value = ids(route, name)
        if value is None:
            missing.append(name)
            value = "no-such-id"
        url = url.replace("{" + name + "}", value)
    query = {}
    for p in route.params("query"):
        value = ids(route, p["name"])
        if value is None and p.get("required"):
            value = example(route, p.get("schema", {}), ids)
        if value is not None:
            query[p["name"]] = str(value)
    schema = route.body_schema()
    body = example(route, schema, ids) if schema is not None else ({} if route.command else None)
    return Filled(url=url, query=query, body=body, missing=missing)
