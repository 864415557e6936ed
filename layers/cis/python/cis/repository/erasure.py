"""Where a customer's personal data lives in the table, and the writes that erase it (what each
kind becomes: cis.domain.erasure; the key shapes: keys).

In the customer's partition: the profile (a tombstone replaces it), timeline entries (orders keep
their facts, the rest go), and every other kind (consents, tags, pairs, subscriptions, reminders,
watches, order keys of orders not kept) goes. Outside it: the other side of each duplicate pair,
the lookup items (a suppression item in their place), the push devices' claims, the merge steps that
hold item images of the customers merged into this one, and the idempotency records whose saved responses name them. The
audit trail is scrubbed by the stream processor when it reads the tombstone (service.changes), after
every entry of earlier changes has been written. Blocks were left when the customer was archived.
"""

from __future__ import annotations

from collections.abc import Callable

from cis.domain.erasure import ErasedItems, Erasure, kept_entry, tombstone
from cis.repository import keys
from cis.repository.batches import batch_get, batch_write, query_all
from cis.repository.items import from_attributes, to_attributes
from cis.repository.personal_data import PersonalData

_KEY = ("PK", "SK")
_INDEX = ("GSI2PK", "GSI2SK")  # the timeline's type index, which a kept order stays in


class ErasureRepository(PersonalData):
    def erase_partition(self, customer_id: str, items: list[dict], keep_orders: bool) -> ErasedItems:
        """Every item but the profile (the tombstone is written last): deleted, or scrubbed to what is kept;
        and the other side of each duplicate pair."""
        requests, counts = [], ErasedItems()
        for item in items:
            sort_key = item["SK"]["S"]
            if sort_key == keys.PROFILE:
                continue
            if sort_key.startswith(keys.ENTRY_PREFIX):
                kept = kept_entry(from_attributes(item), keep_orders)
                if kept is not None:
                    own = {name: item[name] for name in (*_KEY, *_INDEX) if name in item}
                    requests.append({"PutRequest": {"Item": own | to_attributes(kept)}})
                    counts.scrubbed += 1
                    continue
            elif sort_key.startswith(keys.ORDER_PREFIX) and keep_orders:
                continue  # an order key holds the order's id and entry id: bookkeeping, nothing personal
            elif sort_key.startswith(keys.LOGIN_PREFIX):  # the sign-in's link goes with its copy
                requests.append({"DeleteRequest": {"Key": keys.login_key(sort_key.removeprefix(keys.LOGIN_PREFIX))}})
            elif sort_key.startswith(keys.PAIR_PREFIX):  # the other side's copy of the pair goes too
                other = sort_key.removeprefix(keys.PAIR_PREFIX)
                requests.append({"DeleteRequest": {"Key": keys.pair_key(other, customer_id)}})
            requests.append({"DeleteRequest": {"Key": {name: item[name] for name in _KEY}}})
            counts.deleted += 1
        batch_write(self.client, self.table, requests)
        return counts

    def suppress(self, held: set[tuple[str, str]], customer_ids: set[str]) -> int:
        """The erased customers' unique keys become suppression items, unless someone else holds one now."""
        wanted = sorted(held)
        stored = {keys.held_by(item): item for item in self._lookups(wanted) if "value" in item}
        owner = next(iter(sorted(customer_ids)))
        requests = []
        for kind, value in wanted:
            holder = stored.get((kind, value))
            if holder is not None and holder["customer_id"]["S"] not in customer_ids:
                continue  # freed by a merge and taken since by another customer: theirs now
            holder_id = holder["customer_id"]["S"] if holder is not None else owner
            requests.append({"PutRequest": {"Item": keys.suppression_item(kind, value, holder_id)}})
        batch_write(self.client, self.table, requests)
        return len(requests)

    def _lookups(self, wanted: list[tuple[str, str]]) -> list[dict]:
        return batch_get(self.client, self.table, [keys.lookup_key(kind, value) for kind, value in wanted])

    def release_devices(
        self, device_ids: list[str], customer_ids: set[str], delete_endpoint: Callable[[str], None]
    ) -> int:
        """The push devices the erased customers hold (not those another customer took since): their
        endpoints (which hold the push token) and claims."""
        from cis.repository.devices import DeviceRepository

        return DeviceRepository(self.client, self.table).release(device_ids, customer_ids, delete_endpoint)

    def drop_merge_steps(self, merge_ids: set[str]) -> int:
        """The merges' and their undos' steps: images of the merged customers' items (the logs keep ids only)."""
        requests = []
        for merge_id in sorted(merge_ids):
            for prefix in ("STEP#", "UNDO#"):
                request = keys.prefix_request(self.table, keys.merge_pk(merge_id), prefix)
                requests += [
                    {"DeleteRequest": {"Key": {n: i[n] for n in _KEY}}} for i in query_all(self.client, request)
                ]
        batch_write(self.client, self.table, requests)
        return len(requests)

    def drop_idempotency_records(self, customer_ids: set[str]) -> int:
        """Saved responses that name an erased customer. All live in one partition and expire within
        the idempotency window, so this reads that window's records, not the table."""
        request = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": keys.IDEMPOTENCY_PK}},
            "ConsistentRead": True,
        }
        requests = [
            {"DeleteRequest": {"Key": {name: item[name] for name in _KEY}}}
            for item in query_all(self.client, request)
            if any(customer_id in item.get("data", {}).get("S", "") for customer_id in customer_ids)
        ]
        batch_write(self.client, self.table, requests)
        return len(requests)

    def write_tombstone(self, customer_id: str, profile: dict, erasure: Erasure) -> None:
        """The profile replaced by its tombstone, on condition it is still the version read: the last write,
        which the stream turns into customer.erased (and the audit trail's scrub)."""
        values = tombstone(profile, erasure) | {"GSI1PK": keys.list_partition("erased"), "GSI1SK": customer_id}
        self.client.put_item(
            TableName=self.table,
            Item=keys.customer_key(customer_id) | to_attributes(values),
            ConditionExpression="#version = :read",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":read": {"N": str(profile["version"])}},
        )
