"""BatchGetItem and BatchWriteItem at their limits, with the unprocessed part retried; a Query read to its end."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

GET_LIMIT, WRITE_LIMIT = 100, 25
MAX_ATTEMPTS = 8


def query_all(client: Any, request: dict) -> list[dict]:
    """Every item a Query answers, page after page."""
    items, start = [], None
    while True:
        page = client.query(**request, **({"ExclusiveStartKey": start} if start else {}))
        items += page.get("Items", [])
        if not (start := page.get("LastEvaluatedKey")):
            return items


def batch_get(client: Any, table: str, keys: list[dict]) -> list[dict]:
    """The items that exist among `keys` (consistent reads), 100 keys per request."""
    found: list[dict] = []
    for start in range(0, len(keys), GET_LIMIT):
        request = {table: {"Keys": keys[start : start + GET_LIMIT], "ConsistentRead": True}}
        for attempt in range(MAX_ATTEMPTS):
            response = client.batch_get_item(RequestItems=request)
            found += response.get("Responses", {}).get(table, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05 * 2**attempt)
        else:
            raise RuntimeError("DynamoDB kept keys unprocessed: retry the request")
    return found


def batch_write(client: Any, table: str, requests: list[dict], landed: Callable[[int], None] | None = None) -> None:
    """Put and delete requests, 25 per request, in order; what DynamoDB leaves unprocessed is sent
    again. `landed` is told how many of the requests (from the first) are written, after each chunk."""
    for start in range(0, len(requests), WRITE_LIMIT):
        pending = {table: requests[start : start + WRITE_LIMIT]}
        for attempt in range(MAX_ATTEMPTS):
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(0.05 * 2**attempt)
        else:
            raise RuntimeError("DynamoDB kept items unprocessed: retry the request")
        if landed is not None:
            landed(min(start + WRITE_LIMIT, len(requests)))
