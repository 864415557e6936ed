"""Who sees which timeline entries and fields: the role x type x field matrix; the audit trail and pages."""

import pytest
from cis.domain.customer import CustomerFields
from cis.domain.visibility import PAST_VALUES, visible_audit_entry, visible_entries, visible_entry, visible_page
from cis.errors import Conflict
from cis.topology import Role

TICKET = {"type": "ticket", "subject": "Refund", "body": "My card number is ...", "status_history": []}
NOTE = {"type": "note", "text": "VIP, handle with care"}
ORDER = {"type": "order", "amount": "10", "line_items": [{"product_id": "p", "quantity": 1}]}
FEEDBACK = {"type": "feedback", "rating": 2, "comment": "slow delivery"}


@pytest.mark.parametrize(
    ("role", "ticket_body", "note", "line_items", "comment"),
    [
        (Role.ADMIN, True, True, True, True),
        (Role.SUPPORT, True, True, True, True),
        (Role.SALES, False, True, True, True),
        (Role.MARKETING, False, False, False, False),
    ],
)
def test_role_matrix(role, ticket_body, note, line_items, comment):
    roles = frozenset({role})
    assert ("body" in visible_entry(TICKET, roles)) is ticket_body
    assert (visible_entry(NOTE, roles) is not None) is note
    assert ("line_items" in visible_entry(ORDER, roles)) is line_items
    assert ("comment" in visible_entry(FEEDBACK, roles)) is comment


def test_hidden_fields_are_named_so_the_reader_knows_something_is_withheld():
    shown = visible_entry(TICKET, frozenset({Role.MARKETING}))
    assert shown["redacted"] == ["body", "status_history"]
    assert shown["subject"] == "Refund"


def test_the_union_of_a_callers_roles_applies():
    assert "body" in visible_entry(TICKET, frozenset({Role.MARKETING, Role.SUPPORT}))


def test_hidden_entries_are_left_out_of_lists():
    assert visible_entries([NOTE, ORDER], frozenset({Role.MARKETING}))[0]["type"] == "order"
    assert len(visible_entries([NOTE, ORDER], frozenset({Role.MARKETING}))) == 1


# -- the audit trail follows the same table ------------------------------------------------------
def audit(event: str, *changes: dict, change_id: str = "c") -> dict:
    entry = {"change_id": change_id, "event": event, "actor": "staff:dev-support", "source": "api"}
    return entry | {"changes": list(changes)}


NOTE_RECORDED = audit("interaction.recorded", {"field": "interaction note", "before": None, "after": "01NOTE"})
TICKET_RECORDED = audit("interaction.recorded", {"field": "interaction ticket", "before": None, "after": "01TICKET"})
TICKET_UPDATED = audit("interaction.updated", {"field": "status", "before": "open", "after": "solved"})
EMAIL_CHANGED = audit(
    "customer.updated",
    {"field": "emails", "before": [{"address": "old@example.com"}], "after": [{"address": "new@example.com"}]},
    {"field": "family_name", "before": "Byron", "after": "Lovelace"},
)
MARKETING, SUPPORT, SALES = frozenset({Role.MARKETING}), frozenset({Role.SUPPORT}), frozenset({Role.SALES})


def test_the_audit_trail_hides_note_entries_from_whoever_the_timeline_hides_notes_from():
    assert visible_audit_entry(NOTE_RECORDED, MARKETING) is None
    assert visible_audit_entry(NOTE_RECORDED, SALES) == NOTE_RECORDED
    assert visible_audit_entry(TICKET_RECORDED, MARKETING) == TICKET_RECORDED  # the ticket is on its timeline


def test_the_audit_trail_hides_ticket_status_steps_and_their_authors_from_whoever_cannot_see_status_history():
    assert visible_audit_entry(TICKET_UPDATED, MARKETING) is None
    assert visible_audit_entry(TICKET_UPDATED, SALES) is None
    assert visible_audit_entry(TICKET_UPDATED, SUPPORT) == TICKET_UPDATED


def test_marketing_reads_that_an_email_changed_but_not_the_addresses_and_is_told_so():
    shown = visible_audit_entry(EMAIL_CHANGED, MARKETING)
    assert shown["redacted"] == ["emails"]
    assert shown["changes"] == [
        {"field": "emails", "before": None, "after": None},
        {"field": "family_name", "before": "Byron", "after": "Lovelace"},
    ]
    assert "old@example.com" not in str(shown)
    assert visible_audit_entry(EMAIL_CHANGED, SUPPORT) == EMAIL_CHANGED


@pytest.mark.parametrize("field", sorted(PAST_VALUES))
def test_every_field_whose_past_values_are_withheld_is_a_customer_field(field):
    assert field in CustomerFields.model_fields


def test_the_ticket_timeline_entry_withholds_its_last_status_step_as_it_withholds_the_history():
    updated = TICKET | {"status_history": [{"to": "solved"}], "updated_at": "2026-01-01", "updated_by": "staff:x"}
    shown = visible_entry(updated, MARKETING)
    assert shown["redacted"] == ["body", "status_history", "updated_at", "updated_by"]


# -- pages: a cursor never names an entry the caller may not see ---------------------------------
def reader(entries: list[dict], log: list | None = None):
    """A stored list read newest first, whose cursor is the id of the last entry read (as a key is)."""

    def read(count: int, start: str | None):
        at = 0 if start is None else next(i for i, e in enumerate(entries) if e["id"] == start) + 1
        items = entries[at : at + count]
        if log is not None:
            log.append((count, start))
        more = at + count < len(entries)
        return [dict(item) for item in items], items[-1]["id"] if items and more else None

    return read


def shown_if_visible(entry: dict) -> dict | None:
    return None if entry["hidden"] else entry


def every_page(read, limit: int) -> tuple[list[str], list[str]]:
    ids, cursors, cursor = [], [], None
    while True:
        items, cursor = visible_page(read, shown_if_visible, limit, cursor)
        ids += [item["id"] for item in items]
        if cursor is None:
            return ids, cursors
        assert len(items) == limit  # a page short of the limit is the last
        cursors.append(cursor)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 50])
@pytest.mark.parametrize("pattern", ["vhvhhvvhhh", "hhhhhhv", "vvvvvvh", "hhhh", "vhhhhhhhhhhhhhv", "v"])
def test_a_page_cursor_always_names_a_shown_entry_and_paging_shows_each_visible_entry_once(limit, pattern):
    entries = [{"id": f"e{index:02d}", "hidden": mark == "h"} for index, mark in enumerate(pattern)]
    ids, cursors = every_page(reader(entries), limit)
    visible = [entry["id"] for entry in entries if not entry["hidden"]]
    assert ids == visible
    hidden = {entry["id"] for entry in entries if entry["hidden"]}
    assert not set(cursors) & hidden


def test_a_caller_who_sees_everything_pays_one_read_a_page():
    entries = [{"id": f"e{index}", "hidden": False} for index in range(7)]
    log: list = []
    items, cursor = visible_page(reader(entries, log), shown_if_visible, 3, None)
    assert ([item["id"] for item in items], cursor, log) == (["e0", "e1", "e2"], "e2", [(3, None)])


def written_after(entries: list[dict], start: str, entry: dict) -> None:
    entries.insert(next(i for i, e in enumerate(entries) if e["id"] == start) + 1, entry)


def test_an_entry_written_between_the_two_reads_of_a_stretch_makes_it_read_afresh():
    entries = [{"id": f"e{index}", "hidden": mark == "h"} for index, mark in enumerate("vhvv")]
    read, counts = reader(entries), []

    def racing(count, start):
        counts.append(count)
        if count == 1 and counts.count(1) == 1:  # the re-read up to e2: a hidden entry lands just before it
            written_after(entries, start, {"id": "new", "hidden": True})
        return read(count, start)

    items, cursor = visible_page(racing, shown_if_visible, 2, None)
    assert [item["id"] for item in items] == ["e0", "e2"] and cursor == "e2"
    assert counts == [2, 4, 1, 4, 2]  # the read after one that fell short is twice as long


def test_a_long_run_of_hidden_entries_costs_a_few_reads_not_one_each():
    entries = [{"id": f"e{index:03d}", "hidden": index not in (0, 299)} for index in range(300)]
    log: list = []
    ids, cursors = every_page(reader(entries, log), 1)
    assert ids == ["e000", "e299"] and cursors == ["e000"]
    assert len(log) <= 10, log  # 1, then 1, 2, 4 ... 64, 100, 100: not 299


def test_a_stretch_that_keeps_changing_is_a_conflict_to_retry():
    entries = [{"id": f"e{index}", "hidden": mark == "h"} for index, mark in enumerate("vhvv")]
    read = reader(entries)

    def always_changing(count, start):
        if count == 1:  # every re-read finds a new entry where the page was to end
            written_after(entries, start, {"id": f"new{len(entries)}", "hidden": False})
        return read(count, start)

    with pytest.raises(Conflict) as conflict:
        visible_page(always_changing, shown_if_visible, 2, None)
    assert conflict.value.code == "concurrent_update"
