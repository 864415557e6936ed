"""Import rows: the ledger that makes a re-run skip what is done, and new customers written in batches."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from cis.domain.customer import Customer
from cis.repository import keys
from cis.repository.batches import batch_get, batch_write
from cis.repository.customers import CustomerRepository
from cis.repository.items import from_attributes, to_attributes
from cis.repository.transactions import TransactionCancelled, transact
from cis.topology import TABLE

MAX_TRANSACTION_ITEMS = 100
LEDGER_DAYS = 30  # how long a re-run of the same file recognises its rows


class ImportRepository:
    def __init__(self, client: Any, table_name: str):
        self.client = client
        self.table = table_name
        self.customers = CustomerRepository(client, table_name)

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

    def create(self, source_id: str, new: list[tuple[int, Customer]], row_hashes: dict[int, str]) -> list[int]:
        """Each new customer with its ledger entry, many per transaction; returns the rows whose
        transaction could not commit as a whole (the caller writes those one by one)."""
        now, groups, current = time.time(), [], []
        for row, customer in new:
            actions = self.customers.create_actions(customer)
            created = {"outcome": "created", "customer_id": customer.id, "row_hash": row_hashes[row]}
            ledger = self._ledger_item(source_id, row, created, now)
            actions.append(("import row", {"Put": {"TableName": self.table, "Item": ledger}}))
            if current and sum(len(a) for _, a in current) + len(actions) > MAX_TRANSACTION_ITEMS:
                groups.append(current)
                current = []
            current.append((row, actions))
        if current:
            groups.append(current)
        retry: list[int] = []
        for group in groups:
            try:
                transact(self.client, [action for _, actions in group for action in actions])
            except TransactionCancelled:
                retry += [row for row, _ in group]
        return retry

    def create_one(self, source_id: str, row: int, customer: Customer, row_hash: str) -> None:
        """One customer and its ledger entry; raises the customer repository's errors (a key taken...)."""
        created = {"outcome": "created", "customer_id": customer.id, "row_hash": row_hash}
        ledger = self._ledger_item(source_id, row, created, time.time())
        self.customers.create(customer, also=[("import row", {"Put": {"TableName": self.table, "Item": ledger}})])

    def record(self, source_id: str, outcomes: dict[int, dict]) -> None:
        """Ledger entries for rows that created nothing (duplicates skipped, merges done)."""
        now = time.time()
        requests = [
            {"PutRequest": {"Item": self._ledger_item(source_id, row, outcome, now)}}
            for row, outcome in sorted(outcomes.items())
        ]
        batch_write(self.client, self.table, requests)
