"""Names with control characters or bidirectional overrides and isolates are refused at input, in plain words."""

import pytest
from cis.domain.customer import Customer, CustomerCreate, CustomerPatch
from cis.domain.imports import parse_csv, validate
from cis.domain.model import STORED
from cis.domain.problems import field_problems
from pydantic import ValidationError

NAME_FIELDS = ("given_name", "family_name", "display_name")
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
CONTROL = ["\x00", "\x07", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]


def problems(model, body: dict) -> list:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return field_problems(refused.value.errors())


@pytest.mark.parametrize("field", NAME_FIELDS)
@pytest.mark.parametrize("char", BIDI)
def test_a_bidi_override_or_isolate_in_a_name_is_refused_naming_the_field(field, char):
    for model in (CustomerCreate, CustomerPatch):
        [problem] = problems(model, {field: f"Ada{char}ecalp"})
        assert problem.path == field
        assert f"U+{ord(char):04X}" in problem.problem and "bidirectional" in problem.problem
        assert "display in a different order" in problem.problem


@pytest.mark.parametrize("field", NAME_FIELDS)
@pytest.mark.parametrize("char", CONTROL)
def test_a_control_character_inside_a_name_is_refused_naming_the_field(field, char):
    for model in (CustomerCreate, CustomerPatch):
        [problem] = problems(model, {field: f"Ada{char}Lovelace"})
        assert problem.path == field
        assert "control character" in problem.problem and f"U+{ord(char):04X}" in problem.problem


@pytest.mark.parametrize(
    "name",
    [
        "Zoë O'Brien-Smith",
        "José María",
        "محمد\u200f (Mo)",  # a right-to-left mark: kept
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # a zero-width non-joiner: how Persian spells it
        '=HYPERLINK("http://x","y")',  # harmless as a name: exports neutralise it (csv_cells)
    ],
)
def test_names_in_any_script_with_their_marks_and_joiners_are_kept_as_sent(name):
    assert CustomerCreate(given_name=name).given_name == name


def test_a_stored_name_from_before_the_rule_still_reads():
    stored = {
        "id": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "given_name": "Ada\u202eecalp",
        "version": 1,
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "staff:a",
        "updated_at": "2026-01-01T00:00:00Z",
        "updated_by": "staff:a",
    }
    assert Customer.model_validate(stored, context=STORED).given_name == "Ada\u202eecalp"


def test_an_imported_row_with_such_a_name_is_reported_under_its_column():
    [row] = parse_csv("Vorname,email\nAda\u202eecalp,ada@example.com\n", {"Vorname": "given_name"}, 2)
    [problem] = validate(row)
    assert (problem["column"], problem["field"]) == ("Vorname", "given_name")
    assert "bidirectional" in problem["problem"]
