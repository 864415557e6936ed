"""Everything held about a customer, as one document (GDPR art. 15 and 20)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cis.domain.export import CustomerExport
from cis.repository import keys
from cis.repository.items import from_attributes
from cis.repository.personal_data import PersonalData
from cis.service.customers import CustomerService

_TABLE_OWN = {"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"}


class ExportService:
    def __init__(self, customers: CustomerService, data: PersonalData, clock: Callable[[], datetime]):
        self.customers, self.data, self.clock = customers, data, clock

    def export(self, customer_id: str, actor: str) -> CustomerExport:
        customer = self.customers.get(customer_id)  # 404, 410 merged or erased
        sections: dict[str, list] = {kind: [] for kind in keys.PARTITION_KINDS.values()}
        merged_from: set[str] = set()
        for item in self.data.partition(customer_id):
            kind = keys.partition_kind(item["SK"]["S"])
            if kind is None:  # an item kind nobody declared: refuse rather than leave it out unnoticed
                raise RuntimeError(f"an item of an undeclared kind ({item['SK']['S'].split('#')[0]}#) in the export")
            values = {name: value for name, value in from_attributes(item).items() if name not in _TABLE_OWN}
            sections[kind].append(values)
            if "merged_from" in values:
                merged_from.add(values["merged_from"])
        for newest_first in ("timeline", "consent_history"):
            sections[newest_first].reverse()  # sort keys are ULIDs: oldest first as read
        sections.pop("customer")
        return CustomerExport(
            exported_at=self.clock(),
            exported_by=actor,
            customer=customer,
            audit=[{k: v for k, v in entry.items() if k not in _TABLE_OWN} for entry in self.data.audit(customer_id)],
            merged_from=sorted(merged_from),
            **sections,
        )
