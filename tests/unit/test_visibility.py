"""Who sees which timeline entries and fields: the role x type x field matrix."""

import pytest
from cis.domain.visibility import visible_entries, visible_entry
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
