"""Erase a customer (GDPR art. 17): the person, and every customer merged into them.

The order makes a failure safe to retry: archive first (every write is refused from then on, and
the customer leaves its blocks and lists), then the items, then the tombstone, the last write,
which marks the erasure done and reaches the stream as customer.erased (which scrubs the audit
trail). A retry after a failure finds the customer archived and not yet a tombstone, and goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cis.domain.customer import CustomerFields
from cis.domain.erasure import ErasedItems, Erasure, ErasureRequest
from cis.domain.keys import unique_keys
from cis.errors import Erased, Merged, NotFound, being_merged
from cis.repository.access_log import AccessLog
from cis.repository.erasure import ErasureRepository
from cis.service.customers import CustomerService


class ErasureService:
    def __init__(
        self,
        customers: CustomerService,
        repository: ErasureRepository,
        clock: Callable[[], datetime],
        keep_orders: bool = True,
        accesses: AccessLog | None = None,
        *,
        delete_endpoint: Callable[[str], None],
    ):
        self.customers, self.repository, self.clock, self.keep_orders = customers, repository, clock, keep_orders
        self.accesses = accesses
        self.delete_endpoint = delete_endpoint  # a push endpoint (SNS) holds its device's token: erased too

    def erase(
        self, customer_id: str, request: ErasureRequest, actor: str, archived_before: datetime | None = None
    ) -> Erasure | None:
        """The erasure done; with `archived_before` (the retention job), None unless the customer was
        archived by then and still is (restored or erased since: nothing to do)."""
        profile = self.repository.profile(customer_id)
        if archived_before is not None and not _archived_by(profile, archived_before):
            return None
        if profile is None:
            raise NotFound(f"customer {customer_id} does not exist")
        if profile.get("status") == "erased":
            raise Erased(customer_id)
        if "merged_into" in profile:  # erase the survivor: it holds this customer now
            raise Merged(customer_id, profile["merged_into"], profile["merged_by_merge"])
        if "merge_lock" in profile:
            raise being_merged(customer_id)
        if profile.get("status") != "archived":
            self.customers.archive(customer_id, actor, None)  # no writes from now on, off every list
        erasure = Erasure(
            customer_id=customer_id,
            erased_at=self.clock(),
            erased_by=actor,
            legal_basis=request.legal_basis,
            reason=request.reason,
            customers=[customer_id],
            items=ErasedItems(),
        )
        # The customers merged into this one: their pointers and what the merge left with them.
        partitions = {customer_id: self.repository.partition(customer_id)}
        pending = _merged_from(partitions[customer_id])
        while pending:
            loser = pending.pop()
            if loser not in partitions:
                partitions[loser] = self.repository.partition(loser)
                pending |= _merged_from(partitions[loser]) - set(partitions)
        erasure.customers = [customer_id, *sorted(set(partitions) - {customer_id})]
        profiles = {id_: self.repository.profile(id_) or {} for id_ in erasure.customers}
        held = {key for values in profiles.values() for key in _held(values)}
        merges = {values["merged_by_merge"] for values in profiles.values() if values.get("merged_by_merge")}
        for id_, items in partitions.items():
            counts = self.repository.erase_partition(id_, items, self.keep_orders)
            erasure.items.deleted += counts.deleted
            erasure.items.scrubbed += counts.scrubbed
        erasure.items.suppressed = self.repository.suppress(held, set(erasure.customers))
        erasure.items.deleted += self.repository.drop_merge_steps(merges)
        erasure.items.deleted += self.repository.drop_idempotency_records(set(erasure.customers))
        devices = sorted({device for values in profiles.values() for device in values.get("devices") or {}})
        erasure.items.deleted += self.repository.release_devices(devices, set(erasure.customers), self.delete_endpoint)
        for id_ in reversed(erasure.customers):  # the customer asked about last: its tombstone says done
            if profiles[id_]:
                self.repository.write_tombstone(id_, profiles[id_], erasure)
        if self.accesses is not None:  # on the access log, the retention job's erasures too
            self.accesses.record(actor, "erase", customer_id, len(erasure.customers), erasure.erased_at)
        return erasure


def _archived_by(profile: dict | None, moment: datetime) -> bool:
    if not profile or profile.get("status") != "archived" or not profile.get("archived_at"):
        return False
    return datetime.fromisoformat(profile["archived_at"]) <= moment


def _merged_from(items: list[dict]) -> set[str]:
    """The customers whose items a merge moved here."""
    return {item["merged_from"]["S"] for item in items if "merged_from" in item}


def _held(profile: dict) -> set[tuple[str, str]]:
    """(kind, normalized value) of every email, phone and external id a stored profile holds."""
    fields = {name: profile[name] for name in CustomerFields.model_fields if name in profile}
    try:
        return {(key.kind, key.value) for key in unique_keys(CustomerFields.model_validate(fields))}
    except ValueError:  # a record stored before a rule tightened: its keys as stored are still its keys
        return set()
