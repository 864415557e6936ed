"""Who is calling, from the claims API Gateway's Cognito authorizer puts on the event.

Two user pools sign callers in: staff (their groups are roles) and customers (a customer reaches their
own record only). Which pool issued a token is its `iss` claim, which the authorizer has verified."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cis.config import settings
from cis.topology import Role, Route


@dataclass(frozen=True)
class Principal:
    subject: str  # Cognito sub: stable and free of personal data, so it is what we record
    roles: frozenset[Role]
    customer: bool = False  # signed in to the customer pool: no roles, their own record only

    @property
    def actor(self) -> str:
        return f"customer:{self.subject}" if self.customer else f"staff:{self.subject}"


def principal_from_event(event: dict) -> Principal | None:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    subject = claims.get("sub")
    if not subject:
        return None
    issuer = claims.get("iss")
    if issuer == settings.customer_issuer:  # a customer's groups, if any, are no staff roles
        return Principal(subject=subject, roles=frozenset(), customer=True)
    if settings.staff_issuer and issuer != settings.staff_issuer:
        return None  # neither pool's token
    return Principal(subject=subject, roles=parse_groups(claims.get("cognito:groups")))


def parse_groups(raw: str | list | None) -> frozenset[Role]:
    """API Gateway passes groups as "a,b" (REST) or "[a b]" (JWT authorizers); accept both."""
    if not raw:
        return frozenset()
    names = raw if isinstance(raw, list) else re.split(r"[\s,]+", raw.strip("[]"))
    return frozenset(Role(name) for name in names if name in Role._value2member_map_)


def allowed(principal: Principal, route: Route) -> bool:
    if route.customer or principal.customer:
        return route.customer and principal.customer
    return bool(principal.roles & route.roles)
