"""The due index: the reminders that fall on one day, shard by shard (key shapes: keys)."""

from __future__ import annotations

from typing import Any

from cis.repository import keys
from cis.repository.items import from_attributes

_PLAIN = ("customer_id", "subscription_id", "plan", "renews_at", "lead_days", "remind_on")


class DueReminders:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    def page(self, day: str, cursor: dict | None, limit: int) -> tuple[list[dict], dict | None]:
        """Up to `limit` reminders due on `day` from `cursor` (None: the start; else one this returned),
        and the cursor of the next page (None: the day is done). Each page reads one shard."""
        shard, start = keys.shard_position(cursor)
        found, last = keys.day_page(self.client, self.table, keys.due_partition(day, shard), start, limit)
        reminders = [{name: from_attributes(item)[name] for name in _PLAIN} for item in found]
        return reminders, keys.next_position(shard, last, keys.DUE_SHARDS)
