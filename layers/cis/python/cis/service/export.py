"""Everything held about a customer, as one document (GDPR art. 15 and 20)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cis.domain.export import CustomerExport
from cis.repository.access_log import AccessLog
from cis.repository.personal_data import PersonalData
from cis.service.customers import CustomerService


class ExportService:
    def __init__(
        self,
        customers: CustomerService,
        data: PersonalData,
        clock: Callable[[], datetime],
        accesses: AccessLog | None = None,
    ):
        self.customers, self.data, self.clock, self.accesses = customers, data, clock, accesses

    def export(self, customer_id: str, actor: str) -> CustomerExport:
        customer = self.customers.get(customer_id)  # 404, 410 merged or erased
        sections = self.data.sections(customer_id)
        sections.pop("customer")  # the profile, as the API shows it
        for newest_first in ("timeline", "consent_history"):
            sections[newest_first].reverse()  # sort keys are ULIDs: oldest first as read
        merged_from = {
            values["merged_from"] for items in sections.values() for values in items if "merged_from" in values
        }
        document = CustomerExport(
            exported_at=self.clock(),
            exported_by=actor,
            customer=customer,
            audit=self.data.audit(customer_id),
            merged_from=sorted(merged_from),
            **sections,
        )
        if self.accesses is not None:  # on the access log: who took everything about whom, when
            self.accesses.record(actor, "export", customer_id, 1, document.exported_at)
        return document
