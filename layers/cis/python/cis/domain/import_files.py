"""A whole CSV file imported through the upload bucket: the request, the import's state, and how a
file is cut into parts that workers import side by side.

A client asks for an upload (POST /v1/imports/uploads) and PUTs the file to the short-lived URL it
gets back; the worker cuts the file into parts of at most PART_ROWS rows at record boundaries (a
quoted field may hold line breaks) and each part is imported as one chunk would be
(service.imports), under the file's source id, so a part delivered twice, or the same file uploaded
again, imports nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from cis.domain.contact import Strict
from cis.domain.imports import MAX_ROWS, SOURCE_ID, OnDuplicate, RowOutcome, SourceId, columns_of
from cis.domain.model import Model
from cis.errors import FieldProblem, InvalidRequest

PART_ROWS = MAX_ROWS  # rows per part: what one chunk request may hold
# Bytes after which a part ends even short of PART_ROWS: small enough that its text travels in the
# worker's message (SQS takes 256 KiB), so a part costs no S3 read and its worker no S3 client.
PART_BYTES = 96 * 1024
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024
UPLOAD_SECONDS = 15 * 60  # how long an upload URL works
UPLOAD_PREFIX = "uploads/"
Status = Literal["awaiting_upload", "splitting", "importing", "done", "failed"]


class ImportUploadRequest(Strict):
    """How the file to upload is to be read; the file itself goes to the URL the answer gives."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"file_name": "crm-export.csv", "mapping": {"E-mail": "email"}}]}
    )

    file_name: str | None = Field(default=None, max_length=255, description="For people reading the import's state")
    source_id: SourceId = Field(
        default=None,
        description=f"{SOURCE_ID} Default: a hash of the file's bytes and the mapping, so uploading the same "
        "file again adds nothing",
    )
    mapping: dict[str, str] = Field(
        default_factory=dict, description="CSV column -> field (given_name, email, external_id.billing...); '-' skips"
    )
    on_duplicate: OnDuplicate = Field(default="skip", description="As for POST /v1/imports")


class UploadTarget(Model):
    url: str = Field(description="PUT the file's bytes here (UTF-8 CSV, header first), before expires_at")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str] = Field(default_factory=dict, description="Headers the PUT must carry")
    expires_at: datetime


class ImportCounts(Model):
    rows: int = 0
    created: int = 0
    merged: int = 0
    duplicates: int = 0
    invalid: int = 0
    already_imported: int = 0
    for_review: int = 0
    not_imported: int = Field(default=0, description="Rows of parts that failed every attempt (see the report)")


class PartProgress(Model):
    total: int | None = Field(default=None, description="Known once the file is cut")
    done: int = 0


class ImportFile(Model):
    import_id: str
    status: Status = Field(
        description="awaiting_upload: PUT the file; splitting, importing: under way; done; failed: see problem"
    )
    file_name: str | None = None
    source_id: str | None = Field(default=None, description="Known once the file is read, unless given")
    mapping: dict[str, str] = Field(default_factory=dict)
    on_duplicate: OnDuplicate = "skip"
    created_at: datetime
    created_by: str
    finished_at: datetime | None = None
    bytes: int | None = None
    parts: PartProgress = Field(default_factory=PartProgress)
    counts: ImportCounts = Field(default_factory=ImportCounts)
    problem: str | None = Field(default=None, description="Why the file could not be imported (status failed)")
    upload: UploadTarget | None = Field(default=None, description="Only in the answer that creates the import")
    report: list[RowOutcome] = Field(
        default_factory=list,
        description="A page of the rows not simply created (invalid, duplicates with their scores, merged, "
        "listed for review, not imported), in row order",
    )
    next_cursor: str | None = None


@dataclass(frozen=True)
class Part:
    """Rows [first_row, first_row + rows) of the file: its bytes [start, end), as text."""

    number: int
    first_row: int
    rows: int
    start: int
    end: int
    text: str = field(default="", repr=False)


@dataclass(frozen=True)
class Cut:
    header: str  # the header line, as text (no byte-order mark)
    parts: list[Part]
    rows: int
    bytes: int
    digest: str  # sha256 of the bytes


def default_source(digest: str, mapping: dict[str, str]) -> str:
    """As `cis import` names a file: its bytes and its mapping (here, the bytes by their digest)."""
    return hashlib.sha256(f"{digest}\n{json.dumps(mapping, sort_keys=True)}".encode()).hexdigest()[:32]


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines with their endings, from chunks cut anywhere."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *whole, rest = rest.split(b"\n")
        for line in whole:
            yield line + b"\n"
    if rest:
        yield rest


def cut(
    chunks: Iterable[bytes], mapping: dict[str, str], part_rows: int = PART_ROWS, part_bytes: int = PART_BYTES
) -> Cut:
    """The file cut into parts at record boundaries, each at most `part_rows` rows and, unless one
    record is longer, `part_bytes` bytes; refuses a file no part of which could be read (not UTF-8,
    no header, columns the mapping does not place) before any row is imported."""
    digest, offset, number = hashlib.sha256(), 0, 0
    lines: list[str] = []  # the text of the part being cut

    def text_lines() -> Iterator[str]:
        nonlocal offset, number
        for line in _lines(chunks):
            digest.update(line)
            number += 1
            try:
                text = line.decode("utf-8-sig" if offset == 0 else "utf-8")
            except UnicodeDecodeError:
                raise _invalid("file", f"line {number} is not UTF-8 text: save the file as CSV UTF-8") from None
            offset += len(line)
            lines.append(text)
            yield text

    reader = csv.reader(text_lines())
    try:
        header = next(reader, None)
        if header is None:
            raise _invalid("file", "the file is empty: the first line must name the columns")
        header_end = offset
        if header_end > MAX_HEADER_BYTES:
            raise _invalid("file", f"the header line is longer than {MAX_HEADER_BYTES} bytes")
        columns_of(header, mapping)  # unknown columns: the whole file is refused, once
        parts: list[Part] = []
        first, start, rows, total = 2, header_end, 0, 0
        lines.clear()
        for record in reader:
            if not record:  # a blank line: not a row (csv.DictReader skips it too)
                continue
            rows += 1
            if rows == part_rows or offset - start >= part_bytes:
                parts.append(Part(len(parts) + 1, first, rows, start, offset, "".join(lines)))
                first, start, total, rows = first + rows, offset, total + rows, 0
                lines.clear()
        if rows:
            parts.append(Part(len(parts) + 1, first, rows, start, offset, "".join(lines)))
            total += rows
    except csv.Error as error:
        raise _invalid("file", f"line {number} is not CSV: {error}") from None
    return Cut(_header_text(header), parts, total, offset, digest.hexdigest())


def _header_text(header: list[str]) -> str:
    from io import StringIO

    out = StringIO()
    csv.writer(out, lineterminator="\n").writerow(header)
    return out.getvalue()


def _invalid(field: str, problem: str) -> InvalidRequest:
    return InvalidRequest(problem, [FieldProblem(field, problem)])


def reported(outcome: RowOutcome) -> bool:
    """Whether a row belongs in the report: everything but a plain create."""
    return outcome.outcome != "created" or bool(outcome.for_review)
