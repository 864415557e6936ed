"""Every DynamoDB key shape of the single table, and the cursors that carry them to clients.

  profile       PK=CUST#<id>  SK=V#PROFILE        GSI1PK=CUSTOMERS#<status>  GSI1SK=<id>
  timeline      PK=CUST#<id>  SK=V#E#<ulid>       GSI2PK=CUST#<id>#E#<type>  GSI2SK=<ulid>
  message       PK=CUST#<id>  SK=V#E#<ulid>       GSI2PK=CUST#<id>#T#<ticket id>  GSI2SK=<ulid>  (a ticket's
                                                  thread: on the timeline, and read whole by its ticket)
  order key     PK=CUST#<id>  SK=ORDER#<external order id>     (one order recorded once)
  consent log   PK=CUST#<id>  SK=CONSENT#<channel>#<purpose>#<ulid>  (every change, kept)
  audit         PK=AUDIT#<id>  SK=<time>#<change id>          (written by the stream processor only: a key
                                                               space of its own, so IAM can deny every API
                                                               function writes to it by dynamodb:LeadingKeys)
  tag copy      PK=CUST#<id>  SK=TAG#<tag>  GSI1PK=TAG#<tag>  GSI1SK=<id>  (the customer, for tag lists)
  lookup        PK=KEY#<KIND>#<sha256 of the normalized value>  SK=KEY  (uniqueness of emails, phones, ids:
                `kind`, `value`, `customer_id`; once the customer is erased, a suppression item in its place:
                `erased`, no value, so the contact is refused and nothing readable is kept)
  block         PK=BLOCK#<sha256 of the blocking key>  SK=BLOCK
                                                              (who to compare a record with: `members`, a map
                                                               customer id -> {fingerprint, distinct_from}, at
                                                               most MAX_BLOCK_MEMBERS; `version`, raised by every
                                                               change. Written in the record's own transaction,
                                                               conditional on the version read; never deleted)
  pair          PK=CUST#<id>  SK=DUP#<other id>                (a likely duplicate, one copy per side;
                GSI1PK=DUPLICATES  GSI1SK=<score>#<id>#<other>  the copy whose id sorts first is listed)
  merge log     PK=MERGE#<merge id>  SK=LOG                  (survivor, merged ids, status, who, when)
  merge step    PK=MERGE#<merge id>  SK=STEP#<nnnn>          (item images before and after: for undo)
  undo step     PK=MERGE#<merge id>  SK=UNDO#<nnnn>          (the same, of the merge's undo)
  import row    PK=IMPORT#<source id>  SK=ROW#<nnnnnnn>       (what became of a row: re-runs skip it)
  subscription  PK=CUST#<id>  SK=SUB#<subscription id>        (the record; the profile keeps a copy
                                                               under `subscriptions` for the 360 view)
  reminder      PK=CUST#<id>  SK=REMIND#<subscription id>#<lead days, 3 digits>
                GSI1PK=DUE#<yyyy-mm-dd>#<shard>  GSI1SK=<subscription id>#<lead>  (sparse: only reminders
                still to come of active subscriptions; the day's job reads exactly its partitions)
  notification  PK=NOTIFY#<subscription id>#<renewal day>#<lead>  SK=CLAIM  (claimed before sending:
                PK=NOTIFY#CHECKIN#<customer id>#<crossing day>  SK=CLAIM   nothing goes out twice)
  churn watch   PK=CUST#<id>  SK=WATCH#IDLE | WATCH#RESCORE
                GSI1PK=WATCH#<yyyy-mm-dd>#<shard>  GSI1SK=<id>#<kind>  (sparse: IDLE is the day the quiet
                spell crosses its next inactivity threshold, moved by every activity; RESCORE, put by the
                stream, is the next run after another churn signal changed. The day's job reads only these)
  churn list    profile GSI2PK=CHURN#<medium|high>  GSI2SK=<score, 3 digits>#<id>  (riskiest first; none when low)
  erase due     archived profile GSI2PK=ERASE#<yyyy-mm-dd>  GSI2SK=<id>  (the day retention erases it)
  device        PK=DEVICE#<device id>  SK=DEVICE          (the customer an app install's push notifications
                                                               go to: `customer_id`, `endpoint`; the profile's
                                                               `devices` map holds the same, for sending)
  idempotency   PK=IDEMPOTENCY  SK=<hash>                      (Powertools Idempotency; IDEMPOTENCY_PK)
  contact check PK=CUST#<id>  SK=VERIFY#<email|phone>        (a code sent to a contact being added:
                                                               digests of both, attempts, expires_at)
  sign-in       PK=LOGIN#<customer pool sub>  SK=LOGIN          (the customer record a customer's sign-in
                PK=CUST#<id>  SK=LOGIN#<sub>                    is linked to, kept by the server, never taken
                                                               from a token; the partition's copy is how
                                                               export and erasure find it)

A merged-away profile stays where it is with `merged_into` set (and GSI1PK=CUSTOMERS#merged): the
pointer to the survivor, and what undo clears.

The profile and the timeline share the prefix V# and the profile sorts above every entry
(P > E), so one descending Query on V# returns the profile and then the newest entries:
the customer 360 view in one request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from cis.errors import FieldProblem, InvalidRequest


@dataclass(frozen=True)
class Page:
    """One page of a listing, and the cursor of the next (None at the end)."""

    items: list
    next_cursor: str | None


IDEMPOTENCY_PK = "IDEMPOTENCY"
VIEW_PREFIX = "V#"
PROFILE = "V#PROFILE"
ENTRY_PREFIX = "V#E#"
LIST_INDEX = "GSI1"
TIMELINE_TYPE_INDEX = "GSI2"


def _s(value: str) -> dict:
    return {"S": value}


def customer_pk(customer_id: str) -> str:
    return f"CUST#{customer_id}"


def customer_id_of(key: dict[str, dict]) -> str:
    """The customer whose partition an item key is in."""
    return key["PK"]["S"].removeprefix("CUST#")


def customer_key(customer_id: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(PROFILE)}


def list_partition(status: str) -> str:
    return f"CUSTOMERS#{status}"


def lookup_key(kind: str, value: str) -> dict[str, dict]:
    """Keyed by a digest of the value: the key stays when the value must go (an erased customer's suppression)."""
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:40]
    return {"PK": _s(f"KEY#{kind.upper()}#{digest}"), "SK": _s("KEY")}


def lookup_item(kind: str, value: str, customer_id: str) -> dict[str, dict]:
    """Who holds a unique key (an email, a phone, an external id)."""
    attributes = {"entity": _s("lookup"), "kind": _s(kind), "value": _s(value), "customer_id": _s(customer_id)}
    return lookup_key(kind, value) | attributes


def suppression_item(kind: str, value: str, customer_id: str) -> dict[str, dict]:
    """What an erased customer's unique key leaves: the digest, that it was erased, and by whom held."""
    return lookup_key(kind, value) | {
        "entity": _s("suppression"),
        "kind": _s(kind),
        "erased": {"BOOL": True},
        "customer_id": _s(customer_id),
    }


def held_by(item: dict[str, dict]) -> tuple[str, str]:
    """(kind, normalized value) a lookup item holds."""
    return item["kind"]["S"], item["value"]["S"]


def entry_key(customer_id: str, entry_id: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"{ENTRY_PREFIX}{entry_id}")}


def entry_type_partition(customer_id: str, kind: str) -> str:
    return f"{customer_pk(customer_id)}#E#{kind}"


def entry_keys(customer_id: str, entry_id: str, kind: str) -> dict[str, dict]:
    """A timeline entry's table key and its place in the by-type index."""
    return entry_key(customer_id, entry_id) | {
        "GSI2PK": _s(entry_type_partition(customer_id, kind)),
        "GSI2SK": _s(entry_id),
    }


def thread_partition(customer_id: str, ticket_id: str) -> str:
    """A ticket's messages in the type index, oldest first by id: the thread, in one Query."""
    return f"{customer_pk(customer_id)}#T#{ticket_id}"


def message_keys(customer_id: str, message_id: str, ticket_id: str) -> dict[str, dict]:
    return entry_key(customer_id, message_id) | {
        "GSI2PK": _s(thread_partition(customer_id, ticket_id)),
        "GSI2SK": _s(message_id),
    }


def consent_prefix(customer_id: str, channel: str, purpose: str) -> tuple[str, str]:
    return customer_pk(customer_id), f"CONSENT#{channel}#{purpose}#"


def consent_history_key(customer_id: str, channel: str, purpose: str, change_id: str) -> dict[str, dict]:
    pk, prefix = consent_prefix(customer_id, channel, purpose)
    return {"PK": _s(pk), "SK": _s(prefix + change_id)}


ORDER_PREFIX = "ORDER#"


def order_key(customer_id: str, external_order_id: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"{ORDER_PREFIX}{external_order_id}")}


def tag_key(customer_id: str, tag: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"TAG#{tag}")}


def tag_partition(tag: str) -> str:
    return f"TAG#{tag}"


# Not under CUST#<id>: IAM conditions see only partition keys, and the API roles must not write here.
AUDIT_PREFIX = "AUDIT#"


def audit_partition(customer_id: str) -> str:
    """The customer's audit trail: one partition, entries sorted by time."""
    return f"{AUDIT_PREFIX}{customer_id}"


def audit_key(customer_id: str, occurred_at: str, change_id: str) -> dict[str, dict]:
    return {"PK": _s(audit_partition(customer_id)), "SK": _s(f"{occurred_at}#{change_id}")}


def audit_trail(table: str, customer_id: str) -> dict:
    """Every audit entry of the customer (the whole partition)."""
    return {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": _s(audit_partition(customer_id))},
    }


# Blocks were once one item per member (SK=CUST#<id>), filed by the stream processor after the write.
# Nothing was deployed with that shape, so no migration reads or removes those items.
BLOCK_PREFIX = "BLOCK#"


def block_key(blocking_key: str) -> dict[str, dict]:
    """Keyed by a digest: a blocking key holds a phone, an email's user part or a birthday, and a block
    outlives its members (an erased customer's own blocks stay, empty, their versions only growing)."""
    digest = hashlib.sha256(blocking_key.encode()).hexdigest()[:40]
    return {"PK": _s(f"{BLOCK_PREFIX}{digest}"), "SK": _s("BLOCK")}


DUPLICATES_PARTITION = "DUPLICATES"
PAIR_PREFIX = "DUP#"


def pair_key(customer_id: str, other_id: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"{PAIR_PREFIX}{other_id}")}


def pair_listing(score: float, first_id: str, second_id: str) -> dict[str, dict]:
    """The listed copy's place in the duplicates list: highest score first, then by ids."""
    return {"GSI1PK": _s(DUPLICATES_PARTITION), "GSI1SK": _s(f"{score:.3f}#{first_id}#{second_id}")}


def listing_floor(min_score: float) -> str:
    """The least GSI1SK of the pairs listed at min_score or above (scores sort as their 3-decimal text)."""
    return f"{min_score:.3f}"


def merge_pk(merge_id: str) -> str:
    return f"MERGE#{merge_id}"


def merge_log_key(merge_id: str) -> dict[str, dict]:
    return {"PK": _s(merge_pk(merge_id)), "SK": _s("LOG")}


def merge_step_key(merge_id: str, number: int, prefix: str = "STEP#") -> dict[str, dict]:
    return {"PK": _s(f"MERGE#{merge_id}"), "SK": _s(f"{prefix}{number:04d}")}


def merge_steps(table: str, merge_id: str) -> dict:
    return prefix_request(table, f"MERGE#{merge_id}", "STEP#")


def import_row_key(source_id: str, row: int) -> dict[str, dict]:
    return {"PK": _s(f"IMPORT#{source_id}"), "SK": _s(f"ROW#{row:07d}")}


def import_file_key(import_id: str) -> dict[str, dict]:
    """An uploaded import's state and counts; its parts' outcomes sit beside it (import_part_key)."""
    return {"PK": _s(f"UPLOAD#{import_id}"), "SK": _s("UPLOAD")}


def import_part_key(import_id: str, part: int) -> dict[str, dict]:
    return {"PK": _s(f"UPLOAD#{import_id}"), "SK": _s(f"PART#{part:06d}")}


def import_parts_from(table: str, import_id: str, part: int) -> dict:
    """The parts of an import from `part` on, in order."""
    return {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk AND SK BETWEEN :from AND :last",
        "ExpressionAttributeValues": {
            ":pk": _s(f"UPLOAD#{import_id}"),
            ":from": _s(f"PART#{part:06d}"),
            ":last": _s("PART#999999"),
        },
    }


def subscription_key(customer_id: str, subscription_id: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"SUB#{subscription_id}")}


REMINDER_PREFIX = "REMIND#"
DUE_SHARDS = 8  # a busy renewal day spreads over this many index partitions


def due_partition(day: str, shard: int) -> str:
    return f"DUE#{day}#{shard}"


def due_shard(subscription_id: str) -> int:
    """A stable shard per subscription (ULIDs end in random characters)."""
    return int.from_bytes(hashlib.blake2b(subscription_id.encode(), digest_size=2).digest()) % DUE_SHARDS


def reminder_key(customer_id: str, subscription_id: str, lead_days: int) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"{REMINDER_PREFIX}{subscription_id}#{lead_days:03d}")}


def reminder_keys(customer_id: str, subscription_id: str, lead_days: int, day: str) -> dict[str, dict]:
    """A reminder's table key and its place in the due index (the job's partition for that day)."""
    return reminder_key(customer_id, subscription_id, lead_days) | {
        "GSI1PK": _s(due_partition(day, due_shard(subscription_id))),
        "GSI1SK": _s(f"{subscription_id}#{lead_days:03d}"),
    }


def notification_key(*parts: str | int) -> dict[str, dict]:
    """A message's claim: NOTIFY#<subscription id>#<renewal day>#<lead, 3 digits> for a reminder,
    NOTIFY#CHECKIN#<customer id>#<crossing day> for a check-in."""
    text = "#".join(f"{part:03d}" if isinstance(part, int) else part for part in parts)
    return {"PK": _s(f"NOTIFY#{text}"), "SK": _s("CLAIM")}


WATCH_PREFIX = "WATCH#"
WATCH_SHARDS = 8  # a day when many customers go quiet spreads over this many index partitions


def watch_partition(day: str, shard: int) -> str:
    return f"WATCH#{day}#{shard}"


def watch_key(customer_id: str, kind: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"{WATCH_PREFIX}{kind}")}


def watch_keys(customer_id: str, kind: str, day: str) -> dict[str, dict]:
    """A churn watch's table key and its place in the day's index partition."""
    shard = int.from_bytes(hashlib.blake2b(customer_id.encode(), digest_size=2).digest()) % WATCH_SHARDS
    return watch_key(customer_id, kind) | {
        "GSI1PK": _s(watch_partition(day, shard)),
        "GSI1SK": _s(f"{customer_id}#{kind}"),
    }


def churn_partition(level: str) -> str:
    return f"CHURN#{level}"


def churn_listing(level: str, score: int, customer_id: str) -> dict[str, dict]:
    return {"GSI2PK": _s(churn_partition(level)), "GSI2SK": _s(f"{score:03d}#{customer_id}")}


# Items of a merged-away customer that the survivor does not get a copy of: what the stream derives
# from its profile, tag copies (the survivor's tags make new ones) and churn watches (the survivor
# keeps its own; the job drops the merged-away one's). Its audit trail is in a partition of its own.
NOT_COPIED_ON_MERGE = (PAIR_PREFIX, "TAG#", PROFILE, WATCH_PREFIX)


# -- cursors ---------------------------------------------------------------------------------
def encode_cursor(last_key: dict[str, dict]) -> str:
    plain = {name: value["S"] for name, value in sorted(last_key.items())}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(
    cursor: str, expected: dict[str, str | None], consistent: Callable[[dict[str, str]], bool] | None = None
) -> dict[str, dict]:
    """The start key a cursor names, if it belongs to the query described by `expected`.

    `expected` maps each key attribute the query's pages carry to the value it must have, a
    prefix ending in '#' it must start with, or None for any text; `consistent` checks how the
    attributes relate. So a cursor cannot reach another customer's items, list or index.
    """
    invalid = InvalidRequest(
        "the cursor is not one this list returned: start again without a cursor",
        [FieldProblem("cursor", "not a cursor from this list")],
    )
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise invalid from error
    if not isinstance(plain, dict) or set(plain) != set(expected):
        raise invalid
    for name, want in expected.items():
        value = plain[name]
        if not isinstance(value, str) or not value:
            raise invalid
        if want is not None and not (value.startswith(want) if want.endswith("#") else value == want):
            raise invalid
    if consistent is not None and not consistent(plain):
        raise invalid
    return {name: _s(value) for name, value in plain.items()}


def newest_first(
    client,
    request: dict,
    limit: int,
    cursor: str | None,
    expected: dict[str, str | None],
    consistent: Callable[[dict[str, str]], bool] | None = None,
) -> tuple[list[dict], str | None]:
    """One Query page, newest first, resuming from a cursor this same query handed out."""
    request = request | {"ScanIndexForward": False, "Limit": limit}
    if cursor:
        request["ExclusiveStartKey"] = decode_cursor(cursor, expected, consistent)
    response = client.query(**request)
    last = response.get("LastEvaluatedKey")
    return response.get("Items", []), encode_cursor(last) if last else None


def day_page(client, table: str, partition: str, start: dict | None, limit: int) -> tuple[list[dict], dict | None]:
    """One page of a scheduled job's index partition (GSI1) from `start`, and where the next begins:
    plain strings, so a job's continuation event can carry it."""
    request = {
        "TableName": table,
        "IndexName": LIST_INDEX,
        "KeyConditionExpression": "GSI1PK = :partition",
        "ExpressionAttributeValues": {":partition": _s(partition)},
        "Limit": limit,
    }
    if start:
        request["ExclusiveStartKey"] = {name: _s(value) for name, value in start.items()}
    response = client.query(**request)
    last = response.get("LastEvaluatedKey")
    return response.get("Items", []), ({name: value["S"] for name, value in last.items()} if last else None)


def shard_position(cursor: dict | None) -> tuple[int, dict | None]:
    """The shard and start key a job's cursor names (None: the first shard, from its start)."""
    return (cursor["shard"], cursor.get("start")) if cursor else (0, None)


def next_position(shard: int, last: dict | None, shards: int) -> dict | None:
    """The cursor after a page of `shard` that ended at `last`; None when every shard has been read."""
    shard, start = (shard + 1, None) if last is None else (shard, last)
    return {"shard": shard, "start": start} if shard < shards else None


def prefix_request(table: str, pk: str, prefix: str) -> dict:
    """The items of one partition whose sort key starts with `prefix`."""
    return {
        "TableName": table,
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {":pk": _s(pk), ":prefix": _s(prefix)},
    }


# A customer's sign-in (the customer pool's `sub`) and the record it is linked to.
LOGIN_PREFIX = "LOGIN#"


def login_key(subject: str) -> dict[str, dict]:
    return {"PK": _s(f"{LOGIN_PREFIX}{subject}"), "SK": _s("LOGIN")}


def login_copy_key(customer_id: str, subject: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"{LOGIN_PREFIX}{subject}")}


# A code sent to a contact a customer wants to add (one pending per kind): digests only, and a TTL.
VERIFY_PREFIX = "VERIFY#"


def verification_key(customer_id: str, kind: str) -> dict[str, dict]:
    return {"PK": _s(customer_pk(customer_id)), "SK": _s(f"{VERIFY_PREFIX}{kind}")}


# Which customer a push device (an app install) belongs to now: one at a time.
def device_claim_key(device_id: str) -> dict[str, dict]:
    return {"PK": _s(f"DEVICE#{device_id}"), "SK": _s("DEVICE")}


# Every kind of item a customer's partition holds, by sort-key prefix, and what an export (GDPR art. 15)
# calls it. Erasure (repository.erasure) and export both go by it; tests/api/test_export_http.py writes
# one of each and fails on an item no entry here names.
PARTITION_KINDS = {
    PROFILE: "customer",
    ENTRY_PREFIX: "timeline",
    ORDER_PREFIX: "order_keys",  # external order id -> its timeline entry
    "CONSENT#": "consent_history",
    "TAG#": "tag_copies",  # the customer as tag lists show it
    PAIR_PREFIX: "likely_duplicates",
    "SUB#": "subscriptions",
    REMINDER_PREFIX: "scheduled_reminders",
    WATCH_PREFIX: "churn_watches",
    LOGIN_PREFIX: "sign_ins",  # the customer app sign-ins linked to this record
    VERIFY_PREFIX: "contact_checks",  # codes sent to contacts the customer is adding (digests)
}


def partition_kind(sort_key: str) -> str | None:
    """The kind of an item of a customer's partition (PARTITION_KINDS), None for one nobody declared."""
    return next((kind for prefix, kind in PARTITION_KINDS.items() if sort_key.startswith(prefix)), None)


# Archived customers by the day retention erases them: the profile's GSI2 while it is archived.
ERASE_PREFIX = "ERASE#"


def erase_due_partition(day: str) -> str:
    return f"{ERASE_PREFIX}{day}"


# The access log (who exported, listed or erased what): an API function puts a request item, which the
# stream processor copies into the audit key space (AUDIT#ACCESS#<day>) that no API function may write.
ACCESS_PREFIX = "ACCESS#"


def access_request_key(day: str, request_id: str) -> dict[str, dict]:
    return {"PK": _s(f"{ACCESS_PREFIX}{day}"), "SK": _s(request_id)}


def access_log_partition(day: str) -> str:
    return f"{AUDIT_PREFIX}{ACCESS_PREFIX}{day}"


def access_log_key(day: str, request_id: str) -> dict[str, dict]:
    return {"PK": _s(access_log_partition(day)), "SK": _s(request_id)}
