"""Import rows: the ledger that makes a re-run skip what is done, and new customers written in batches
(with their blocks, in the same transactions)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from cis.domain.customer import Customer
from cis.domain.matching import Fingerprint
from cis.repository import keys
from cis.repository.batches import batch_get, batch_write
from cis.repository.customers import CustomerRepository
from cis.repository.duplicates import Block, DuplicateRepository, fingerprint_of
from cis.repository.items import from_attributes, to_attributes
from cis.repository.transactions import Action, TransactionCancelled, transact
from cis.topology import TABLE

MAX_TRANSACTION_ITEMS = 100
LEDGER_DAYS = 30  # how long a re-run of the same file recognises its rows


class ImportRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name
        self.customers = CustomerRepository(client, table_name)
        self.duplicates = DuplicateRepository(client, table_name)

    def holders(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Which customers already hold the rows' emails, phones and external ids."""
        return self.customers.holders(wanted)

    def done(self, source_id: str, rows: list[int]) -> dict[int, dict]:
        """Rows of this source already handled, with what became of them."""
        items = batch_get(self.client, self.table, [keys.import_row_key(source_id, row) for row in rows])
        return {values["row"]: values for values in map(from_attributes, items)}

    def _ledger_item(self, source_id: str, row: int, outcome: dict, now: float) -> dict:
        values = {"entity": "import_row", "row": row, TABLE.ttl_attribute: int(now) + LEDGER_DAYS * 86400} | outcome
        return keys.import_row_key(source_id, row) | to_attributes(values)

    def create(
        self,
        source_id: str,
        new: list[tuple[int, Customer]],
        row_hashes: dict[int, str],
        seen: dict[str, Block],
        prints: dict[str, Fingerprint] | None = None,
    ) -> list[int]:
        """Each new customer with its ledger entry and its blocks, many per transaction, on the blocks
        as `seen` when the rows were checked (and as each earlier transaction left them): a transaction
        commits only if no block its rows were checked against changed meanwhile. Returns the rows
        not written: those of a transaction that could not commit, and of every transaction after it
        (the caller checks them again against the blocks as they are now).
        `prints`: customer id -> what it is filed under, where the caller made it already."""
        now, groups, current, current_keys, counted = time.time(), [], [], set(), 0
        prints = prints or {}
        for row, customer in new:
            actions = self.customers.create_actions(customer)
            created = {"outcome": "created", "customer_id": customer.id, "row_hash": row_hashes[row]}
            ledger = self._ledger_item(source_id, row, created, now)
            actions.append(("import row", {"Put": {"TableName": self.table, "Item": ledger}}))
            filed = prints.get(customer.id) or fingerprint_of(customer.model_dump(mode="json"))
            blocking = filed.blocking_keys() if filed else set()
            size = counted + len(actions) + len(current_keys | blocking)
            if current and size > MAX_TRANSACTION_ITEMS:
                groups.append(current)
                current, current_keys, counted = [], set(), 0
            current.append((row, actions, customer, filed))
            current_keys |= blocking
            counted += len(actions)
        if current:
            groups.append(current)
        retry: list[int] = []
        for index, group in enumerate(groups):
            filing = self.duplicates.filing(seen)
            for _, _, customer, filed in group:
                filing.file(customer.id, None, filed, customer.distinct_from)
                filing.check(filed.probe_keys() if filed else ())  # what the row was checked against
            actions = [action for _, actions, _, _ in group for action in actions] + filing.actions()
            if len(actions) > MAX_TRANSACTION_ITEMS:  # one row alone is too large: its own write says why
                retry += [row for row, *_ in group]
                continue
            try:
                transact(self.client, actions)
            except TransactionCancelled:
                # Another writer changed a block or took a key these rows were checked against. The later
                # groups were checked against the same blocks as read: they go back to be checked again too.
                retry += [row for later in groups[index:] for row, *_ in later]
                break
            seen = filing.after()
        return retry

    def create_one(self, source_id: str, row: int, customer: Customer, row_hash: str, also: list[Action]) -> None:
        """One customer with its ledger entry (and `also`: its blocks); raises the customer repository's
        errors (a key taken, a block changed...)."""
        created = {"outcome": "created", "customer_id": customer.id, "row_hash": row_hash}
        ledger = self._ledger_item(source_id, row, created, time.time())
        ledger_put = ("import row", {"Put": {"TableName": self.table, "Item": ledger}})
        self.customers.create(customer, also=[ledger_put, *also])

    def record(self, source_id: str, outcomes: dict[int, dict]) -> None:
        """Ledger entries for rows that created nothing (duplicates skipped, merges done)."""
        now = time.time()
        requests = [
            {"PutRequest": {"Item": self._ledger_item(source_id, row, outcome, now)}}
            for row, outcome in sorted(outcomes.items())
        ]
        batch_write(self.client, self.table, requests)
