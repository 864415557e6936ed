"""Who is calling, from the claims API Gateway's Cognito authorizer puts on the event."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cis.topology import Role, Route


@dataclass(frozen=True)
class Principal:
    subject: str  # Cognito sub: stable and free of personal data, so it is what we record
    roles: frozenset[Role]

    @property
    def actor(self) -> str:
        return f"staff:{self.subject}"


def principal_from_event(event: dict) -> Principal | None:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    subject = claims.get("sub")
    if not subject:
        return None
    return Principal(subject=subject, roles=parse_groups(claims.get("cognito:groups")))


def parse_groups(raw: str | list | None) -> frozenset[Role]:
    """API Gateway passes groups as "a,b" (REST) or "[a b]" (JWT authorizers); accept both."""
    if not raw:
        return frozenset()
    names = raw if isinstance(raw, list) else re.split(r"[\s,]+", raw.strip("[]"))
    return frozenset(Role(name) for name in names if name in Role._value2member_map_)


def allowed(principal: Principal, route: Route) -> bool:
    return bool(principal.roles & route.roles)
