"""Blocking items and duplicate pairs (key shapes: keys).

One block item per blocking key holds its members (customer id -> fingerprint and the ids the
customer was kept apart from) and a version. Blocks are written in the same transaction as the
record they file (create, patch, archive, merge, undo, import), never after it: a write reads the
blocks it touches (one BatchGetItem), and every block action it adds to its transaction is
conditional on the version it read. Every change to a block raises its version, and a block item is
never deleted (an emptied block stays, so a version is never reused). Hence a transaction commits
only if no block it read changed since: a create's duplicate check saw exactly the blocks as they
are when it commits, and two concurrent creates that share a block serialize (the loser is
cancelled, reads again, and finds the winner). Pairs are the stream processor's work.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cis.domain.duplicates import pair_id
from cis.domain.matching import Fingerprint, Match
from cis.domain.moments import timestamp
from cis.repository import keys
from cis.repository.batches import batch_get, query_all
from cis.repository.items import from_attributes, to_attributes
from cis.repository.keys import Page
from cis.repository.transactions import Action, transact

# A blocking key shared by more records than this (a very common name in one birth year) says little:
# its block keeps the first ones and takes no more, so no check ever reads a large slice of the base.
MAX_BLOCK_MEMBERS = 50
# And no block item nears DynamoDB's 400 KB: a member whose entry would pass this is not taken either.
MAX_BLOCK_BYTES = 300_000
BLOCK_ACTION = "block"  # the name of every block action in a transaction (TransactionCancelled.failed)


def _packed(entry: dict) -> dict:
    """A member's entry as stored: one string of compact JSON, not a map of maps. DynamoDB bills a block's
    every write by the whole item, and each nested attribute costs a few bytes of overhead; a string is
    also read and written whole by every SDK (and by moto) at the cost of one value, not of each field."""
    return {"S": json.dumps(entry, separators=(",", ":"), sort_keys=True)}


def _unpacked(stored: Any) -> dict:
    return json.loads(stored) if isinstance(stored, str) else stored  # a map: as blocks were first written


def _entry_size(customer_id: str, entry: dict) -> int:
    return len(customer_id) + len(json.dumps(entry, separators=(",", ":"))) + 16


@dataclass(frozen=True)
class Block:
    """A block item as read: version 0 when there is none yet (stored versions start at 1)."""

    key: str
    version: int = 0
    members: dict[str, dict] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(_entry_size(member, entry) for member, entry in self.members.items()) + len(self.key) + 64

    def takes(self, customer_id: str, entry: dict) -> bool:
        """Whether the customer is, or can become, a member with this entry."""
        if customer_id in self.members:
            return (
                self.size - _entry_size(customer_id, self.members[customer_id]) + _entry_size(customer_id, entry)
                <= MAX_BLOCK_BYTES
            )
        return len(self.members) < MAX_BLOCK_MEMBERS and self.size + _entry_size(customer_id, entry) <= MAX_BLOCK_BYTES


def active(profile: dict | None) -> bool:
    return bool(profile) and profile.get("status", "active") == "active" and "merged_into" not in profile


def fingerprint_of(record: dict | None) -> Fingerprint | None:
    """What a record (as JSON) is filed under: nothing once archived or merged away."""
    return Fingerprint.of(record) if active(record) else None


def entry_of(fingerprint: Fingerprint, distinct_from: Iterable[str] | None) -> dict:
    """What a block keeps of a member: what matching compares, and whom it was kept apart from."""
    return {"fingerprint": fingerprint.to_dict(), "distinct_from": sorted(distinct_from or [])}


class Filing:
    """The block changes of one transaction, made on the blocks as read: members set, members
    removed, and blocks only read (checked). `actions()` turns them into conditional actions."""

    def __init__(self, seen: dict[str, Block], table: str):
        self.seen, self.table = seen, table
        self.sets: dict[str, dict[str, dict]] = {}
        self.removes: dict[str, set[str]] = {}
        self.checked: set[str] = set()

    def _current(self, key: str) -> Block:
        """The block as it will be once this filing is written (for the room left in it)."""
        block = self.seen[key]
        members = {m: e for m, e in block.members.items() if m not in self.removes.get(key, ())}
        return replace(block, members=members | self.sets.get(key, {}))

    def file(
        self,
        customer_id: str,
        before: Fingerprint | None,
        after: Fingerprint | None,
        distinct_from: Iterable[str] | None = None,
    ) -> None:
        """File the customer under `after`'s blocking keys (None: under none), as it was under `before`'s."""
        current = after.blocking_keys() if after else set()
        for key in sorted((before.blocking_keys() if before else set()) - current):
            if customer_id in self._current(key).members:
                self.removes.setdefault(key, set()).add(customer_id)
        if after is None:
            return
        entry = entry_of(after, distinct_from)
        for key in sorted(current):
            block = self._current(key)
            if block.members.get(customer_id) == entry:
                continue
            if block.takes(customer_id, entry):
                self.sets.setdefault(key, {})[customer_id] = entry
            elif customer_id in block.members:  # its new entry no longer fits: it leaves
                self.removes.setdefault(key, set()).add(customer_id)

    def members(self, blocking_keys: Iterable[str]) -> dict[str, dict]:
        """The members of these blocks once this filing is written: id -> {"fingerprint", "distinct_from"}."""
        found: dict[str, dict] = {}
        for key in sorted(set(blocking_keys)):
            found |= self._current(key).members
        return found

    def check(self, blocking_keys: Iterable[str]) -> None:
        """These blocks were read to decide the write: it commits only if none has changed since."""
        self.checked |= set(blocking_keys)

    @property
    def written(self) -> set[str]:
        return set(self.sets) | set(self.removes)

    def __len__(self) -> int:
        """How many transaction actions it takes: one per block (DynamoDB allows one per item)."""
        return len(self.written | self.checked)

    def after(self) -> dict[str, Block]:
        """The blocks as they are once this filing committed (a later transaction's starting point)."""
        return self.seen | {
            key: replace(self._current(key), version=self.seen[key].version + 1) for key in self.written
        }

    def actions(self) -> list[Action]:
        table, actions = self.table, []
        for key in sorted(self.written | self.checked):
            block = self.seen[key]
            item_key = keys.block_key(key)
            if block.version == 0:
                condition: dict = {"ConditionExpression": "attribute_not_exists(PK)"}
            else:
                condition = {
                    "ConditionExpression": "#version = :seen",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":seen": {"N": str(block.version)}},
                }
            if key not in self.written:
                actions.append((BLOCK_ACTION, {"ConditionCheck": {"TableName": table, "Key": item_key} | condition}))
            elif block.version == 0:
                members = {member: _packed(entry) for member, entry in self.sets.get(key, {}).items()}
                values = to_attributes({"entity": "block", "version": 1}) | {"members": {"M": members}}
                put = {"TableName": table, "Item": item_key | values}
                actions.append((BLOCK_ACTION, {"Put": put | condition}))
            else:
                actions.append((BLOCK_ACTION, {"Update": self._update(table, item_key, key, condition)}))
        return actions

    def _update(self, table: str, item_key: dict, key: str, condition: dict) -> dict:
        names = condition["ExpressionAttributeNames"] | {"#members": "members"}
        values = condition["ExpressionAttributeValues"] | {":one": {"N": "1"}}
        sets, removes = ["#version = #version + :one"], []
        for index, (member, entry) in enumerate(sorted(self.sets.get(key, {}).items())):
            names[f"#s{index}"], values[f":s{index}"] = member, _packed(entry)
            sets.append(f"#members.#s{index} = :s{index}")
        for index, member in enumerate(sorted(self.removes.get(key, ()))):
            names[f"#r{index}"] = member
            removes.append(f"#members.#r{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return {
            "TableName": table,
            "Key": item_key,
            "UpdateExpression": expression,
            "ConditionExpression": condition["ConditionExpression"],
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }


class DuplicateRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name

    # -- blocking ------------------------------------------------------------------------
    def blocks(self, blocking_keys: Iterable[str]) -> dict[str, Block]:
        """The blocks of these keys, read consistently: one BatchGetItem per 100 keys."""
        wanted = sorted(set(blocking_keys))
        found = {key: Block(key) for key in wanted}
        by_item = {keys.block_key(key)["PK"]["S"]: key for key in wanted}
        for item in batch_get(self.client, self.table, [keys.block_key(key) for key in wanted]):
            key = by_item[item["PK"]["S"]]
            values = from_attributes(item)
            members = {member: _unpacked(entry) for member, entry in (values.get("members") or {}).items()}
            found[key] = Block(key, int(values["version"]), members)
        return found

    def neighbours(self, probe_keys: Iterable[str]) -> dict[str, dict]:
        """Customers filed under any of these keys: id -> {"fingerprint", "distinct_from"}."""
        return members_of(self.blocks(probe_keys), probe_keys)

    def refiling(self, changes: list[tuple[str, dict | None, dict | None]]) -> Filing:
        """Read the blocks of these records (id, before, after as JSON) and file them as they are after."""
        prints = [(id_, fingerprint_of(before), fingerprint_of(after), after) for id_, before, after in changes]
        wanted = {key for _, old, new, _ in prints for p in (old, new) if p for key in p.blocking_keys()}
        filing = self.filing(self.blocks(wanted))
        for customer_id, old, new, after in prints:
            filing.file(customer_id, old, new, (after or {}).get("distinct_from"))
        return filing

    def filing(self, seen: dict[str, Block]) -> Filing:
        """Block changes to make on these blocks as read (see Filing)."""
        return Filing(seen, self.table)

    def file(
        self,
        customer_id: str,
        before: Fingerprint | None,
        after: Fingerprint | None,
        distinct_from: list[str],
    ) -> None:
        """File one record on its own (tests and tools; the API files in the record's own transaction)."""
        keys_involved = (before.blocking_keys() if before else set()) | (after.blocking_keys() if after else set())
        filing = self.filing(self.blocks(keys_involved))
        filing.file(customer_id, before, after, distinct_from)
        if len(filing):
            transact(self.client, filing.actions())

    # -- pairs ---------------------------------------------------------------------------
    def pairs_of(self, customer_id: str) -> set[str]:
        """The customers currently paired with this one."""
        request = keys.prefix_request(self.table, keys.customer_pk(customer_id), keys.PAIR_PREFIX)
        return {from_attributes(item)["other_id"] for item in query_all(self.client, request)}

    def pair_requests(self, customer_id: str, matches: dict[str, Match], stale: set[str], now: datetime) -> list:
        """The writes (PutRequest / DeleteRequest) that store both copies of every current pair and take
        stale pairs off both sides; the stream processor sends a batch's together."""
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
        return requests

    def pair_deletes(self, customer_id: str, other_id: str) -> list[Action]:
        """Both copies of a pair, deleted (in the transaction that keeps the two apart)."""
        return [
            ("pair", {"Delete": {"TableName": self.table, "Key": keys.pair_key(side, other)}})
            for side, other in ((customer_id, other_id), (other_id, customer_id))
        ]

    def page(self, limit: int, cursor: str | None, min_score: float = 0) -> Page:
        """Pairs, most likely first, down to min_score (to the listing's 0.001): one Query per page on
        the listed copies, the bound in the key condition so no page is cut short by a filter."""
        request = {
            "TableName": self.table,
            "IndexName": keys.LIST_INDEX,
            "KeyConditionExpression": "GSI1PK = :partition",
            "ExpressionAttributeValues": {":partition": {"S": keys.DUPLICATES_PARTITION}},
        }
        if min_score > 0:
            request["KeyConditionExpression"] += " AND GSI1SK >= :least"
            request["ExpressionAttributeValues"][":least"] = {"S": keys.listing_floor(min_score)}
        expected = {"PK": None, "SK": keys.PAIR_PREFIX, "GSI1PK": keys.DUPLICATES_PARTITION, "GSI1SK": None}
        items, next_cursor = keys.newest_first(self.client, request, limit, cursor, expected)
        pairs = []
        for item in items:
            values = from_attributes(item)
            pairs.append(
                {
                    "pair_id": pair_id(*values["customer_ids"]),
                    "customer_ids": values["customer_ids"],
                    "score": float(values["score"]),
                    "reasons": [r | {"weight": float(r["weight"])} for r in values["reasons"]],
                    "found_at": values["found_at"],
                }
            )
        return Page(pairs, next_cursor)


def members_of(blocks: dict[str, Block], probe_keys: Iterable[str]) -> dict[str, dict]:
    """The members of the probed blocks: id -> {"fingerprint", "distinct_from"}."""
    found: dict[str, dict] = {}
    for key in sorted(set(probe_keys)):
        found |= blocks[key].members
    return found
