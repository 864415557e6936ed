"""Customers from CSV rows: the header checked against the columns (domain.customer_csv), each row by the create model.

A row becomes the same JSON a client would POST, and is validated by CustomerCreate: a row and a
request body fail for the same reasons, in the same words (domain.problems). The report names the
row, the column, the field and the problem.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, ValidationError

from cis.domain.contact import Strict
from cis.domain.customer import CustomerCreate
from cis.domain.customer_csv import CUSTOMER_CSV, SERVER_COLUMNS
from cis.domain.model import Model
from cis.domain.problems import field_problems
from cis.errors import FieldProblem, InvalidRequest

MAX_ROWS = 500  # per request: a chunk a function handles well inside API Gateway's 29 s
IGNORE = "-"
OnDuplicate = Literal["skip", "merge", "create", "review"]


SOURCE_ID = "Same file, same id: rows already imported under it are not imported again."
SourceId = Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class ImportRequest(Strict):
    """A chunk of a CSV file: its header line and up to MAX_ROWS rows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"csv": "given_name,email\nAda,ada@example.com\n", "source_id": "crm-export-2026-11"}]
        }
    )

    csv: str = Field(min_length=1, description="CSV text: the header line, then the rows")
    first_row: int = Field(default=2, ge=2, description="Line number of the first row in the file (header is 1)")
    source_id: SourceId = Field(default=None, description=f"{SOURCE_ID} Default: a hash of this chunk")
    mapping: dict[str, str] = Field(
        default_factory=dict, description="CSV column -> field (given_name, email, external_id.billing...); '-' skips"
    )
    on_duplicate: OnDuplicate = Field(
        default="skip",
        description="skip: report the existing customer; merge: fill the existing customer's gaps from the "
        "row; create: create anyway, remembered as distinct; review: create, and list the likely pairs in "
        "/v1/duplicates to merge or dismiss later",
    )


class RowProblem(Model):
    column: str = Field(description="The CSV column, empty for the row as a whole")
    field: str = Field(description="The customer field, as the API names it")
    problem: str


class RowOutcome(Model):
    model_config = ConfigDict(validate_assignment=True)  # problems may be set after the row's outcome

    row: int
    # not_imported: only in an uploaded file's report, for the rows of a part that failed every attempt
    outcome: Literal["created", "merged", "duplicate", "invalid", "already_imported", "not_imported"]
    customer_id: str | None = None
    duplicate_of: str | None = None
    score: float | None = None
    for_review: list[str] = Field(
        default_factory=list, description="on_duplicate=review: the pairs listed for review (<id>~<other id>, sorted)"
    )
    problems: list[RowProblem] = Field(default_factory=list, description="Each mistake: column, field, problem")


class ImportReport(Model):
    source_id: str
    rows: int
    created: int
    merged: int
    duplicates: int
    invalid: int
    already_imported: int
    for_review: int = Field(description="Rows created with likely duplicates listed for review (on_duplicate=review)")
    results: list[RowOutcome]


def _target(column: str, mapping: dict[str, str]) -> str:
    name = mapping.get(column, column.strip().lower())
    return name


def columns_of(header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """CSV column -> field; refuses unknown columns up front, so no row is half-read by mistake."""
    targets, unknown = {}, []
    for column in header:
        target = _target(column, mapping)
        if target == IGNORE or (column not in mapping and target in SERVER_COLUMNS):
            continue
        prefixed = target.startswith(CUSTOMER_CSV.prefixes) and re.fullmatch(r"[a-z_.]+[A-Za-z0-9_]*", target)
        if target in CUSTOMER_CSV.columns or prefixed:
            targets[column] = target
        else:
            unknown.append(column)
    if unknown:
        known = ", ".join([*CUSTOMER_CSV.columns, *(f"{prefix}<key>" for prefix in CUSTOMER_CSV.prefixes)])
        raise InvalidRequest(
            f"unknown column(s) {', '.join(unknown)}: map each to one of {known}, or '-' to skip it",
            [FieldProblem(f"mapping.{column}", "unknown column") for column in unknown],
        )
    return targets


@dataclass
class Row:
    number: int
    record: dict  # the customer as a client would POST it
    columns: dict[str, str] = field(default_factory=dict)  # field path prefix -> CSV column, for the report


def to_record(number: int, values: dict[str, str], targets: dict[str, str]) -> Row:
    record, origin = CUSTOMER_CSV.to_record(values, targets)
    return Row(number, record, origin)


def parse_csv(text: str, mapping: dict[str, str], first_row: int) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    targets = columns_of(reader.fieldnames or [], mapping)
    rows = [to_record(first_row + index, values, targets) for index, values in enumerate(reader)]
    if len(rows) > MAX_ROWS:
        raise InvalidRequest(
            f"{len(rows)} rows in one request; send at most {MAX_ROWS} (the CLI splits files for you)",
            [FieldProblem("csv", f"more than {MAX_ROWS} rows")],
        )
    return rows


def validate(row: Row) -> CustomerCreate | list[dict]:
    """The row as a create body, or its problems as the report shows them."""
    try:
        return CustomerCreate.model_validate(row.record)
    except ValidationError as error:
        return [
            {"column": _column(row, problem.path), "field": _field(problem.path), "problem": problem.problem}
            for problem in field_problems(error.errors())
        ]


def _field(path: str) -> str:
    return "row" if path == "body" else path  # a rule about the whole record


def _column(row: Row, path: str) -> str:
    """The CSV column a field path came from: emails[0].address -> email, addresses[0].country -> country."""
    plain = re.sub(r"\[\d+\]", "", path)
    return row.columns.get(plain) or row.columns.get(plain.split(".")[0], "")
