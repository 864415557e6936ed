"""Settings read once from the environment (Lambda configuration, or the local runtime)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Settings:
    table_name: str
    event_bus_name: str
    default_phone_region: str
    max_body_bytes: int
    # Renewal reminder lead times in days, per plan, "*" for every other plan.
    reminder_lead_days: dict[str, Any] = field(default_factory=lambda: {"*": [30, 7, 1]})
    # The day a scheduled job works on, when not told, is today in this zone (the schedule's zone).
    business_time_zone: str = "UTC"
    # Where reminders come from: a verified SES identity.
    sender_email: str = "reminders@cis.local"
    # Churn rules, weights and inactivity thresholds as JSON (cis.domain.churn.ChurnRules); empty: defaults.
    churn_rules: str = ""
    # Uploaded imports: the bucket files are PUT to, and the import worker's queue.
    upload_bucket: str = ""
    import_queue_url: str = ""
    # Erasure keeps an erased customer's orders' facts (amounts, products, dates) for bookkeeping.
    erasure_keeps_orders: bool = True
    # Days each kind of personal data is kept, as JSON (cis.domain.retention.RetentionRules); empty: defaults.
    retention: str = ""
    # The customer user pool's token issuer: a token it issued is a customer's, bound to their own record
    # (the /v1/me routes); the staff pool's issuer, where set, must sign every other token.
    customer_issuer: str = "cis-local-customers"
    staff_issuer: str = ""
    # SNS platform applications for the customer app's push notifications, by platform (ios, android).
    push_applications: dict[str, str] = field(default_factory=dict)
    # Unsubscribe links: where the API is reached from outside (links point there), and the KMS HMAC key
    # (id, ARN or alias) that signs them.
    public_api_url: str = ""
    unsubscribe_key_id: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            table_name=os.environ.get("TABLE_NAME", "cis-local"),
            event_bus_name=os.environ.get("EVENT_BUS_NAME", "cis-local"),
            default_phone_region=os.environ.get("CIS_DEFAULT_PHONE_REGION", "US").upper(),
            max_body_bytes=int(os.environ.get("CIS_MAX_BODY_BYTES", str(64 * 1024))),
            reminder_lead_days=json.loads(os.environ.get("CIS_REMINDER_LEAD_DAYS", '{"*": [30, 7, 1]}')),
            business_time_zone=os.environ.get("CIS_BUSINESS_TIME_ZONE", "UTC"),
            sender_email=os.environ.get("CIS_SENDER_EMAIL", "reminders@cis.local"),
            churn_rules=os.environ.get("CIS_CHURN_RULES", ""),
            upload_bucket=os.environ.get("UPLOAD_BUCKET", ""),
            import_queue_url=os.environ.get("IMPORT_QUEUE_URL", ""),
            erasure_keeps_orders=os.environ.get("CIS_ERASURE_KEEPS_ORDERS", "true").lower() == "true",
            retention=os.environ.get("CIS_RETENTION", ""),
            customer_issuer=os.environ.get("CIS_CUSTOMER_ISSUER", "cis-local-customers"),
            staff_issuer=os.environ.get("CIS_STAFF_ISSUER", ""),
            push_applications=json.loads(os.environ.get("CIS_PUSH_APPLICATIONS") or "{}"),
            public_api_url=os.environ.get("CIS_PUBLIC_API_URL", "").rstrip("/"),
            unsubscribe_key_id=os.environ.get("CIS_UNSUBSCRIBE_KEY_ID", ""),
        )


settings = Settings.from_env()
