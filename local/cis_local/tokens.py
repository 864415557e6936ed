"""Development tokens: HS256 JWTs with the claims a Cognito ID token carries, signed locally.

The local gateway verifies them and hands the claims to the handlers exactly where API
Gateway's Cognito authorizer puts them, so the same authorization code runs.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import jwt
from cis.topology import Role

ISSUER = "cis-local"
AUDIENCE = "cis-local-staff"
# The customer pool's tokens: another issuer, as in AWS (cis.config's customer_issuer default).
CUSTOMER_ISSUER = "cis-local-customers"
CUSTOMER_AUDIENCE = "cis-local-customer-app"
SECRET_FILE = Path(__file__).resolve().parents[2] / ".local" / "dev-token-secret"


def secret() -> str:
    """CIS_DEV_TOKEN_SECRET, or a random secret kept in .local/ (never committed)."""
    if os.environ.get("CIS_DEV_TOKEN_SECRET"):
        return os.environ["CIS_DEV_TOKEN_SECRET"]
    if not SECRET_FILE.exists():
        SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
        SECRET_FILE.write_text(secrets.token_hex(32))
        SECRET_FILE.chmod(0o600)
    return SECRET_FILE.read_text().strip()


def mint(roles: list[Role] | Role, subject: str | None = None, ttl_s: int = 12 * 3600, **extra) -> str:
    roles = [roles] if isinstance(roles, Role) else list(roles)
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject or f"dev-{'-'.join(roles) or 'none'}",
        "cognito:username": subject or f"dev-{'-'.join(roles)}",
        "cognito:groups": [str(role) for role in roles],
        "token_use": "id",
        "iat": now,
        "exp": now + ttl_s,
    } | extra
    return jwt.encode(claims, secret(), algorithm="HS256")


def mint_customer(subject: str, ttl_s: int = 12 * 3600) -> str:
    """A customer's ID token as the customer pool would issue it: no groups, their verified contact aside.
    It names no customer record: the server's link from `sub` does (cis_local.sign_ups)."""
    now = int(time.time())
    claims = {
        "iss": CUSTOMER_ISSUER,
        "aud": CUSTOMER_AUDIENCE,
        "sub": subject,
        "cognito:username": subject,
        "token_use": "id",
        "iat": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, secret(), algorithm="HS256")


def verify(token: str) -> dict[str, str]:
    """Authorizer claims as API Gateway passes them (strings; groups comma-joined), or raise. Either
    pool's token passes, as both pools are on the API's authorizers; the handlers tell them apart."""
    unverified = jwt.decode(token, options={"verify_signature": False})
    customer = unverified.get("iss") == CUSTOMER_ISSUER
    claims = jwt.decode(
        token,
        secret(),
        algorithms=["HS256"],
        audience=CUSTOMER_AUDIENCE if customer else AUDIENCE,
        issuer=CUSTOMER_ISSUER if customer else ISSUER,
        options={"require": ["exp", "sub"]},
    )
    groups = claims.get("cognito:groups") or []
    return {key: str(value) for key, value in claims.items() if key != "cognito:groups"} | {
        "cognito:groups": ",".join(groups)
    }
