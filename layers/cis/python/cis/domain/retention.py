"""How long each kind of personal data is kept (GDPR art. 5(1)(e), storage limitation), from cdk.json's
`retention` context. Each item that may hold personal data gets its expiry (the table's TTL
attribute, seconds since the epoch) when it is written, from the moment it is about; DynamoDB's TTL
deletes it within days of that. Consent entries and the consent history are kept: they are the proof."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from pydantic import ConfigDict, Field

from cis.domain.model import Model


class RetentionRules(Model):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    activities_days: int = Field(default=730, ge=1, description="Logins, visits, page and app events")
    notifications_days: int = Field(default=730, ge=1, description="Messages sent, and not sent, to the customer")
    tickets_days: int = Field(default=2190, ge=1, description="Tickets, feedback and notes: support's record")
    orders_days: int = Field(default=3650, ge=1, description="Orders and their order keys: bookkeeping")
    audit_days: int = Field(default=2555, ge=1, description="Audit trail entries")
    archived_profiles_days: int = Field(
        default=1095, ge=1, description="An archived customer, then erased by the daily retention job"
    )
    erasure_request_days: int = Field(
        default=14,
        ge=1,
        description="A customer's own erasure request: archived at once, erased this many days later unless "
        "support restores it (a request from a taken-over account can still be stopped)",
    )


# Which rule a timeline entry's type follows; a type not here (consent) is kept.
ENTRY_RULES = {
    "activity": "activities_days",
    "notification": "notifications_days",
    "ticket": "tickets_days",
    "message": "tickets_days",
    "feedback": "tickets_days",
    "note": "tickets_days",
    "order": "orders_days",
}


def parse_retention(raw: str | dict | None) -> RetentionRules:
    """From CIS_RETENTION (JSON) or cdk.json's context; None or empty: the defaults."""
    if not raw:
        return RetentionRules()
    return RetentionRules.model_validate_json(raw) if isinstance(raw, str) else RetentionRules.model_validate(raw)


@cache
def configured() -> RetentionRules:
    from cis.config import settings

    return parse_retention(settings.retention)


def expiry(rule: str | None, about: datetime, rules: RetentionRules | None = None) -> int | None:
    """When an item about `about` expires under `rule` (a RetentionRules field), as the TTL attribute wants."""
    if rule is None:
        return None
    return int(about.timestamp()) + getattr(rules or configured(), rule) * 86400


def entry_expiry(entry_type: str, about: datetime, rules: RetentionRules | None = None) -> int | None:
    return expiry(ENTRY_RULES.get(entry_type), about, rules)
