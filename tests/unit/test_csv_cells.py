"""CSV cells a spreadsheet reads as data: the one helper every CSV writer uses (cis.domain.csv_cells)."""

import csv
import io

import pytest
from cis.domain.csv_cells import InertDictWriter, inert, revived
from cis.domain.customer_csv import CUSTOMER_CSV

FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "-",
    "+",
]


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_cell_a_spreadsheet_would_run_is_written_with_a_quote_in_front(cell):
    assert inert(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell",
    ["Ada", "O'Brien", "a=b", "ada+news@example.com", "", "1937-12-03", "-5", "+4915112345678", "-0.50", "42"],
)
def test_ordinary_text_and_plain_numbers_are_written_as_they_are(cell):
    assert inert(cell) == cell


def test_none_and_numbers_are_written_as_text():
    assert (inert(None), inert(-5), inert(2.5)) == ("", "-5", "2.5")


@pytest.mark.parametrize("cell", [*FORMULAS, "Ada", "-5", "'quoted already", "'=x", "''@x", "'", "'-5"])
def test_an_inert_cell_reads_back_exactly_as_it_was(cell):
    assert revived(inert(cell)) == cell


def test_a_cell_that_is_quotes_before_a_formula_gets_one_more_quote():
    assert (inert("'=x"), inert("'-5")) == ("''=x", "''-5")


def test_the_writer_makes_every_cell_and_the_header_inert():
    out = io.StringIO()
    writer = InertDictWriter(out, ["name", "=sum"], lineterminator="\n")
    writer.writeheader()
    writer.writerows([{"name": '=HYPERLINK("http://x","y")', "=sum": -5}, {"name": "Ada", "=sum": "@A1"}])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["name", "'=sum"], ['\'=HYPERLINK("http://x","y")', "-5"], ["Ada", "'@A1"]]


def test_an_exported_formula_imports_back_without_its_quote():
    targets = {"given_name": "given_name", "email": "email", "custom.score": "custom.score"}
    values = {"given_name": '\'=HYPERLINK("http://x","y")', "email": "ada@example.com", "custom.score": "-5"}
    record, _ = CUSTOMER_CSV.to_record(values, targets)
    assert record["given_name"] == '=HYPERLINK("http://x","y")'
    assert record["custom_attributes"] == {"score": "-5"}
