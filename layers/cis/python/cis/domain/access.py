"""The access log: who read or removed personal data in bulk (exports, listings, erasures), when, what, how many."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from cis.domain.model import Model

AccessAction = Literal["export", "list", "erase"]
KEEP_DAYS = 400  # an access record outlives a year's questions about it


class AccessRecord(Model):
    request_id: str
    at: datetime
    actor: str
    action: AccessAction
    subject: str = Field(description="The customer exported or erased, or the listing asked for (status, tag...)")
    count: int = Field(description="Customers it returned or erased")


class AccessLogPage(Model):
    items: list[AccessRecord]
    next_cursor: str | None = None
