"""OpenAPI links, derived from the topology: what a response's ids let a client call next.

Clients and fuzzers (schemathesis's stateful phase) follow them from a create to its reads and
writes. They are derived, not written per route, so a new route is linked as soon as it is declared.
"""

from __future__ import annotations

import re

from cis import topology
from cis.topology import Route

_PARAM = re.compile(r"{(\w+)}")


def _params(path: str) -> list[str]:
    return _PARAM.findall(path)


def _source(param: str, route: Route, created: str | None, fields: set[str]) -> str | None:
    """Where a link takes a target's path parameter from: the new id, a body field or this request's path."""
    if param == created:
        return "$response.body#/id"
    if param in fields:
        return f"$response.body#/{param}"
    if param in _params(route.path):
        return f"$request.path.{param}"
    return None


def links(route: Route, status: int, fields: set[str]) -> dict[str, dict]:
    """Links for a response with these body fields: every route that needs an id the response carries."""
    protected = [r for function in topology.FUNCTIONS for r in function.routes if r.signed_in]
    created = _child_param(route.path, protected) if route.method == "POST" and status == 201 else None
    new_ids = {created} | (fields - set(_params(route.path)))  # ids this request did not already name
    found: dict[str, dict] = {}
    for target in protected:
        params = _params(target.path)
        if new_ids.isdisjoint(params):
            continue
        # A parameter no source gives (a tag, a channel) is left for the client to choose.
        sources = {p: source for p in params if (source := _source(p, route, created, fields))}
        found[target.operation_id] = {"operationId": target.operation_id, "parameters": sources}
    return dict(sorted(found.items()))


def _child_param(path: str, routes: list[Route]) -> str | None:
    """A create at P makes the resource at P/{param}: the name of that param, if any route has one."""
    child = re.compile(re.escape(path) + r"/{(\w+)}")
    return next((m.group(1) for r in routes if (m := child.match(r.path))), None)
