"""Pages of what a caller may see, on moto: the timeline and the audit trail read on past hidden entries,
and the cursor they hand out ends on the last entry shown, never on a hidden one."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cis.domain.customer import CustomerCreate
from cis.domain.events import DomainEvent
from cis.domain.interactions import InteractionIn
from cis.repository.factory import audit_repository, timeline_repository
from cis.service.audit import AuditService
from cis.service.customers import CustomerService
from cis.service.timeline import TimelineService
from cis.topology import ALL_STAFF, Role
from pydantic import TypeAdapter

interaction = TypeAdapter(InteractionIn).validate_python
MARKETING = frozenset({Role.MARKETING})
VISIT = {"type": "activity", "activity": "visit", "channel": "web"}


def plain(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()


def every_page(page, limit: int) -> tuple[list[dict], list[str]]:
    items, cursors, cursor = [], [], None
    while True:
        found = page(limit, cursor)
        items += found.items
        if not (cursor := found.next_cursor):
            return items, cursors
        cursors.append(cursor)


@pytest.fixture
def customer(repository):
    return CustomerService(repository).create(CustomerCreate(given_name="Ada"), "staff:test")


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_marketing_pages_the_timeline_past_notes_and_no_cursor_names_a_note(dynamodb, customer, limit):
    timeline = TimelineService(timeline_repository(dynamodb))
    start, notes = datetime(2026, 1, 1, tzinfo=UTC), []
    for day, kind in enumerate("anannnaan"):
        body = {"type": "note", "text": f"n{day}"} if kind == "n" else VISIT
        entry = timeline.record(customer.id, interaction(body | {"occurred_at": start + timedelta(days=day)}), "s")
        if kind == "n":
            notes.append(entry.id)
    seen, cursors = every_page(lambda n, c: timeline.page(customer.id, None, n, c, MARKETING), limit)
    assert [entry["type"] for entry in seen] == ["activity"] * 4
    assert not [cursor for cursor in cursors if any(note in plain(cursor) for note in notes)]
    everything, _ = every_page(lambda n, c: timeline.page(customer.id, None, n, c, ALL_STAFF), limit)
    assert len(everything) == 9


@pytest.mark.parametrize("limit", [1, 3])
def test_marketing_pages_the_history_past_note_entries_and_no_cursor_names_one(dynamodb, limit):
    audit = audit_repository(dynamodb)
    start, hidden = datetime(2026, 1, 1, tzinfo=UTC), []
    for index, kind in enumerate("nannannna"):
        change = {f"interaction {'note' if kind == 'n' else 'activity'}": {"before": None, "after": f"E{index:02d}"}}
        event_id = f"change-{index:02d}"
        audit.write(
            DomainEvent(
                "interaction.recorded",
                event_id=event_id,
                customer_id="01ARZ3NDEKTSV4RRFFQ69G5FAV",
                occurred_at=(start + timedelta(hours=index)).isoformat(),
                actor="staff:dev-support",
                audit=change,
            )
        )
        if kind == "n":
            hidden.append(event_id)
    service = AuditService(audit)
    read = lambda roles: lambda n, c: service.history("01ARZ3NDEKTSV4RRFFQ69G5FAV", n, c, roles)  # noqa: E731
    seen, cursors = every_page(read(MARKETING), limit)
    assert [entry["changes"][0]["after"] for entry in seen] == ["E08", "E04", "E01"]
    assert not [cursor for cursor in cursors if any(change in plain(cursor) for change in hidden)]
    assert len(every_page(read(ALL_STAFF), limit)[0]) == 9
