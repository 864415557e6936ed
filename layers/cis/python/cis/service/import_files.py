"""Whole files imported through the upload bucket: start one, cut the uploaded file into parts,
import each part once, and tell how far it got.

The parts are imported by the chunk import (service.imports) under the file's source id and the
uploader's name, so its guarantees hold here too: a part delivered twice, or the same file uploaded
again, finds its rows in the ledger and imports nothing twice; rows duplicating each other in two
parts imported side by side are caught by the blocks their transactions are conditional on.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

from ulid import ULID

from cis.domain.import_files import (
    MAX_FILE_BYTES,
    PART_ROWS,
    UPLOAD_PREFIX,
    UPLOAD_SECONDS,
    ImportFile,
    ImportUploadRequest,
    Part,
    UploadTarget,
    cut,
    default_source,
    reported,
)
from cis.domain.imports import ImportReport, ImportRequest, RowOutcome
from cis.errors import CisError, FieldProblem, InvalidRequest, NotFound
from cis.repository.import_files import COUNTS, ImportFileRepository
from cis.repository.uploads import UploadBucket, WorkQueue
from cis.service.imports import ImportService

KEY = re.compile(rf"^{UPLOAD_PREFIX}(?P<import_id>[0-9A-HJKMNP-TV-Z]{{26}})\.csv$")


def object_key(import_id: str) -> str:
    return f"{UPLOAD_PREFIX}{import_id}.csv"


class ImportFileService:
    def __init__(
        self,
        files: ImportFileRepository,
        bucket: UploadBucket,
        clock: Callable[[], datetime],
        queue: WorkQueue | None = None,
        imports: ImportService | None = None,
        part_rows: int = PART_ROWS,
    ):
        self.files, self.bucket, self.clock, self.queue, self.imports = files, bucket, clock, queue, imports
        self.part_rows = part_rows

    # -- the API: start an import, read its state --------------------------------------------------

    def start(self, request: ImportUploadRequest, actor: str) -> ImportFile:
        import_id, now = str(ULID()), self.clock()
        values = request.model_dump(mode="json", exclude_none=True) | {
            "import_id": import_id,
            "status": "awaiting_upload",
            "created_at": now.isoformat(),
            "created_by": actor,
        }
        self.files.create(values)
        url = self.bucket.upload_url(object_key(import_id), UPLOAD_SECONDS)
        upload = UploadTarget(url=url, expires_at=now + timedelta(seconds=UPLOAD_SECONDS))
        return ImportFile.model_validate(values | {"upload": upload})

    def get(self, import_id: str, limit: int, cursor: str | None) -> ImportFile:
        values = self.files.get(import_id)
        if values is None:
            raise NotFound(f"no import {import_id}")
        part, skip = _position(cursor)
        # limit 0: a progress bar's question, one read; the report's page is another.
        rows, after = self.files.report(import_id, part, skip, limit) if limit else ([], None)
        total, done = values.get("parts_total"), values["parts_done"]
        if values["status"] == "importing" and total is not None and done >= total:
            values |= {"status": "done", "finished_at": values.get("updated_at")}
        return ImportFile.model_validate(
            values
            | {
                "parts": {"total": total, "done": done},
                "counts": {name: values.get(name, 0) for name in COUNTS},
                "report": rows,
                "next_cursor": _cursor(after) if after else None,
            }
        )

    # -- the worker: a message is either a file that arrived, or a part to import -----------------

    def handle(self, message: dict, final_attempt: bool) -> str:
        if message.get("kind") == "part":
            return self.import_part(message, final_attempt)
        if message.get("Event") == "s3:TestEvent":  # S3 checks the queue when the notification is set up
            return "ignored"
        for record in message.get("Records", []):
            if record.get("eventName", "").startswith("ObjectCreated"):
                self.split(unquote_plus(record["s3"]["object"]["key"]))
        return "split"

    def split(self, key: str) -> int:
        """Cut an uploaded file into parts and send them to the workers; the number of parts."""
        found = KEY.match(key)
        job = self.files.begin_split(found["import_id"]) if found else None
        if job is None:  # not an upload URL's key, or a repeated notification of a file already cut
            return 0
        import_id, now = job["import_id"], self.clock().isoformat()
        etag, size, chunks = self.bucket.read(key)
        if size > MAX_FILE_BYTES:
            self.files.fail(import_id, f"the file has {size} bytes; at most {MAX_FILE_BYTES} are taken", now)
            return 0
        try:
            pieces = cut(chunks, job["mapping"], self.part_rows)
        except InvalidRequest as refused:
            self.files.fail(import_id, refused.message, now)
            return 0
        source = job.get("source_id") or default_source(pieces.digest, job["mapping"])
        common = {
            "kind": "part",
            "import_id": import_id,
            "key": key,
            "etag": etag,
            "header": pieces.header,
            "source_id": source,
            "mapping": job["mapping"],
            "on_duplicate": job["on_duplicate"],
            "actor": job["created_by"],
        }
        parts = [part_message(common, part, self.queue.fits) for part in pieces.parts]
        self.queue.send(parts)
        self.files.split(import_id, source, pieces.bytes, len(parts), now)
        return len(parts)

    def import_part(self, message: dict, final_attempt: bool) -> str:
        """One part, imported as a chunk; on its last attempt, a failure is reported rather than raised."""
        import_id, part = message["import_id"], message["part"]
        try:
            text = message.get("text")
            if text is None:  # a part too long for its message: read from the file
                data = self.bucket.read_range(message["key"], message["start"], message["end"], message["etag"])
                text = data.decode("utf-8")
            report = self._load(message, text)
        except Exception as error:
            if not final_attempt:
                raise
            problem = _failure(error)
            first, last = message["first_row"], message["first_row"] + message["rows"] - 1
            failed = RowOutcome(
                row=first,
                outcome="not_imported",
                problems=[{"column": "", "field": "row", "problem": f"rows {first}-{last} not imported: {problem}"}],
            )
            counts = {"rows": message["rows"], "not_imported": message["rows"]}
            self.files.record_part(import_id, part, counts, [_row(failed)], self.clock().isoformat())
            return "not_imported"
        counts = {
            "rows": report.rows,
            "created": report.created,
            "merged": report.merged,
            "duplicates": report.duplicates,
            "invalid": report.invalid,
            "already_imported": report.already_imported,
            "for_review": report.for_review,
        }
        rows = [_row(outcome) for outcome in report.results if reported(outcome)]
        recorded = self.files.record_part(import_id, part, counts, rows, self.clock().isoformat())
        return "imported" if recorded else "already_recorded"

    def _load(self, message: dict, text: str) -> ImportReport:
        request = ImportRequest(
            csv=message["header"] + text,
            first_row=message["first_row"],
            source_id=message["source_id"],
            mapping=message["mapping"],
            on_duplicate=message["on_duplicate"],
        )
        # As the chunk route names its imports: the records name the import, and who ran it.
        return self.imports.load(request, f"import:{message['actor']}")


def part_message(common: dict, part: Part, fits: Callable[[dict], bool]) -> dict:
    """A part's message: where it is in the file, and its text when the message can carry it."""
    message = common | {
        "part": part.number,
        "first_row": part.first_row,
        "rows": part.rows,
        "start": part.start,
        "end": part.end,
    }
    carrying = message | {"text": part.text}
    return carrying if fits(carrying) else message


def _row(outcome: RowOutcome) -> dict:
    return outcome.model_dump(mode="json", exclude_defaults=True)


def _failure(error: Exception) -> str:
    if isinstance(error, CisError):
        return error.message
    # Not the exception's text: it may quote the rows. Its kind is enough to look in the logs.
    return f"an error ({type(error).__name__}) on every attempt; the worker's log has the details"


def _cursor(position: tuple[int, int]) -> str:
    text = json.dumps({"part": position[0], "skip": position[1]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _position(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 1, 0
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        part, skip = plain["part"], plain["skip"]
        if isinstance(part, int) and isinstance(skip, int) and part >= 1 and skip >= 0 and len(plain) == 2:
            return part, skip
    except (binascii.Error, ValueError, UnicodeDecodeError, KeyError, TypeError):
        pass
    raise InvalidRequest(
        "the cursor is not one this report returned: start again without a cursor",
        [FieldProblem("cursor", "not a cursor from this report")],
    )
