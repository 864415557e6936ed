"""The audit trail as each caller may read it: the timeline's visibility, applied to its entries."""

from __future__ import annotations

from cis.domain.visibility import visible_audit_entry, visible_page
from cis.repository.audit import AuditRepository
from cis.repository.customers import Page
from cis.topology import Role


class AuditService:
    def __init__(self, repository: AuditRepository):
        self.repository = repository

    def history(self, customer_id: str, limit: int, cursor: str | None, roles: frozenset[Role]) -> Page:
        """Newest first, the entries these roles may see (visibility.visible_audit_entry); the cursor
        names none they may not."""

        def read(count: int, start: str | None) -> tuple[list[dict], str | None]:
            page = self.repository.history(customer_id, count, start)
            return page.items, page.next_cursor

        return Page(*visible_page(read, lambda entry: visible_audit_entry(entry, roles), limit, cursor))
