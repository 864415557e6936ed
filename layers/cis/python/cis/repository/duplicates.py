"""Blocking items and duplicate pairs (key shapes: keys). Written by the stream processor."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cis.domain.matching import Fingerprint, Match
from cis.domain.moments import timestamp
from cis.repository import keys
from cis.repository.batches import batch_write
from cis.repository.customers import Page
from cis.repository.items import from_attributes, to_attributes

# A blocking key shared by more records than this (a very common name in one birth year) says
# little: compare with the first ones and stop, so no write ever reads a large slice of the base.
BLOCK_READ_LIMIT = 50


class DuplicateRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    # -- blocking ------------------------------------------------------------------------
    def neighbours(self, probe_keys: Iterable[str]) -> dict[str, dict]:
        """Customers filed under any of these keys: id -> {"fingerprint", "distinct_from"}."""
        found: dict[str, dict] = {}
        for key in sorted(probe_keys):
            response = self.client.query(
                TableName=self.table,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": keys.block_partition(key)}},
                Limit=BLOCK_READ_LIMIT,
            )
            for item in response.get("Items", []):
                values = from_attributes(item)
                found[values["customer_id"]] = values
        return found

    def file(
        self,
        customer_id: str,
        before: Fingerprint | None,
        after: Fingerprint | None,
        distinct_from: list[str],
    ) -> None:
        """File the record under its current blocking keys and take it out of the ones it left."""
        self._write(self._filing(customer_id, before, after, distinct_from))

    def file_new(self, customers: list[tuple[str, Fingerprint]]) -> None:
        """File many new records at once (an import), in full batches."""
        self._write([request for id_, print_ in customers for request in self._filing(id_, None, print_, [])])

    def _filing(
        self, customer_id: str, before: Fingerprint | None, after: Fingerprint | None, distinct_from: list[str]
    ) -> list[dict]:
        current = after.blocking_keys() if after else set()
        gone = (before.blocking_keys() if before else set()) - current
        requests = [{"DeleteRequest": {"Key": keys.block_key(key, customer_id)}} for key in sorted(gone)]
        if after:
            values = {
                "entity": "block",
                "customer_id": customer_id,
                "fingerprint": after.to_dict(),
                "distinct_from": distinct_from,
            }
            requests += [
                {"PutRequest": {"Item": keys.block_key(key, customer_id) | to_attributes(values)}}
                for key in sorted(current)
            ]
        return requests

    # -- pairs ---------------------------------------------------------------------------
    def pairs_of(self, customer_id: str) -> set[str]:
        """The customers currently paired with this one."""
        request = keys.prefix_request(self.table, keys.customer_pk(customer_id), keys.PAIR_PREFIX)
        others, start = set(), None
        while True:
            page = self.client.query(**request, **({"ExclusiveStartKey": start} if start else {}))
            others |= {from_attributes(item)["other_id"] for item in page.get("Items", [])}
            start = page.get("LastEvaluatedKey")
            if not start:
                return others

    def save_pairs(self, customer_id: str, matches: dict[str, Match], stale: set[str], now: datetime) -> None:
        """Both copies of every current pair; stale pairs leave both sides."""
        requests = []
        for other, match in sorted(matches.items()):
            first, second = sorted((customer_id, other))
            values = {
                "entity": "duplicate_pair",
                "customer_ids": [first, second],
                "score": str(match.score),
                "reasons": [{"code": r.code, "weight": str(r.weight), "detail": r.detail} for r in match.reasons],
                "found_at": timestamp(now),
            }
            for side, other_side in ((customer_id, other), (other, customer_id)):
                item = keys.pair_key(side, other_side) | to_attributes(values | {"other_id": other_side})
                if side == first:
                    item |= keys.pair_listing(match.score, first, second)
                requests.append({"PutRequest": {"Item": item}})
        for other in sorted(stale):
            requests += [
                {"DeleteRequest": {"Key": keys.pair_key(customer_id, other)}},
                {"DeleteRequest": {"Key": keys.pair_key(other, customer_id)}},
            ]
        self._write(requests)

    def page(self, limit: int, cursor: str | None) -> Page:
        """Pairs, most likely first: one Query per page on the listed copies."""
        request = {
            "TableName": self.table,
            "IndexName": keys.LIST_INDEX,
            "KeyConditionExpression": "GSI1PK = :partition",
            "ExpressionAttributeValues": {":partition": {"S": keys.DUPLICATES_PARTITION}},
        }
        expected = {"PK": None, "SK": keys.PAIR_PREFIX, "GSI1PK": keys.DUPLICATES_PARTITION, "GSI1SK": None}
        items, next_cursor = keys.newest_first(self.client, request, limit, cursor, expected)
        pairs = []
        for item in items:
            values = from_attributes(item)
            pairs.append(
                {
                    "customer_ids": values["customer_ids"],
                    "score": float(values["score"]),
                    "reasons": [r | {"weight": float(r["weight"])} for r in values["reasons"]],
                    "found_at": values["found_at"],
                }
            )
        return Page(pairs, next_cursor)

    def _write(self, requests: list[dict]) -> None:
        batch_write(self.client, self.table, requests)
