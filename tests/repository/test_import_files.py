"""Uploaded imports on moto (S3, SQS, DynamoDB): a file cut into parts, each imported once, the state and
report kept as they go; the bucket's notification and the work queue as the local runtime sets them up."""

import json

import boto3
import pytest
from cis.domain.import_files import ImportUploadRequest
from cis.repository.factory import duplicate_repository, import_file_repository, import_repository
from cis.repository.uploads import UploadBucket, WorkQueue
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.import_files import ImportFileService, object_key
from cis.service.imports import ImportService
from cis.topology import IMPORT_WORKER
from cis_local.queues import create_work_queue

BUCKET = "cis-test-uploads"
HEADER = "given_name,family_name,email,birthday"


@pytest.fixture
def uploads(dynamodb, customers_service):
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    queue_url, _ = create_work_queue(sqs, s3, BUCKET, IMPORT_WORKER)
    sqs.purge_queue(QueueUrl=queue_url)  # the notification's set-up test event
    blocks = duplicate_repository(dynamodb)
    finder = DuplicateFinder(blocks, utcnow)
    imports = ImportService(import_repository(dynamodb), customers_service, finder, blocks, utcnow)
    service = ImportFileService(
        import_file_repository(dynamodb), UploadBucket(s3, BUCKET), utcnow, WorkQueue(sqs, queue_url), imports, 3
    )
    return Uploads(service, s3, sqs, queue_url)


@pytest.fixture
def customers_service(repository, dynamodb):
    return CustomerService(repository, DuplicateFinder(duplicate_repository(dynamodb), utcnow))


class Uploads:
    def __init__(self, service, s3, sqs, queue_url):
        self.service, self.s3, self.sqs, self.queue_url = service, s3, sqs, queue_url

    def start(self, **options):
        return self.service.start(ImportUploadRequest(**options), "staff:test")

    def put(self, import_id: str, *rows: str) -> None:
        body = "\n".join([HEADER, *rows]) + "\n"
        self.s3.put_object(Bucket=BUCKET, Key=object_key(import_id), Body=body.encode())

    def messages(self) -> list[dict]:
        found = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        return found.get("Messages", [])

    def drain(self, final_attempt: bool = False) -> list[str]:
        """Hand every queued message to the worker's service until the queue is empty, as Lambda would."""
        outcomes = []
        while messages := self.messages():
            for message in messages:
                outcomes.append(self.service.handle(json.loads(message["Body"]), final_attempt))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return outcomes

    def get(self, import_id: str, limit: int = 100, cursor=None):
        return self.service.get(import_id, limit, cursor)


def people(count: int, start: int = 0) -> list[str]:
    return [f"Person{n},Family{n},p{n}@example.com,19{50 + n % 40}-0{1 + n % 9}-1{n % 9}" for n in range(start, count)]


def test_an_uploaded_file_is_cut_into_parts_and_every_valid_row_lands_once(uploads, customers_service):
    started = uploads.start(file_name="crm.csv")
    assert started.status == "awaiting_upload" and started.upload.url.startswith("https://")
    uploads.put(started.import_id, *people(7), "Bad,Row,not-an-email,", "Eve,Ng,eve@example.com,19371233")
    outcomes = uploads.drain()
    assert outcomes.count("imported") == 3 and outcomes.count("split") == 1  # 9 rows, 3 a part
    state = uploads.get(started.import_id)
    assert (state.status, state.parts.total, state.parts.done) == ("done", 3, 3)
    assert (state.counts.rows, state.counts.created, state.counts.invalid) == (9, 7, 2)
    assert [(r.row, r.outcome, r.problems[0].field) for r in state.report] == [
        (9, "invalid", "emails[0].address"),
        (10, "invalid", "birthday"),
    ]
    assert state.finished_at is not None and state.source_id


def test_the_same_file_uploaded_again_adds_nothing(uploads, all_items):
    first = uploads.start()
    uploads.put(first.import_id, *people(5))
    uploads.drain()
    customers = sum(1 for item in all_items() if item["SK"]["S"] == "V#PROFILE")
    again = uploads.start()
    uploads.put(again.import_id, *people(5))
    uploads.drain()
    state = uploads.get(again.import_id)
    assert (state.counts.created, state.counts.already_imported) == (0, 5)
    assert state.source_id == uploads.get(first.import_id).source_id
    assert sum(1 for item in all_items() if item["SK"]["S"] == "V#PROFILE") == customers == 5


def test_rows_that_duplicate_each_other_in_different_parts_make_one_customer(uploads):
    started = uploads.start()
    twin = "Ada,Lovelace,ada@example.com,1985-12-10"
    uploads.put(started.import_id, *people(4), twin, "Ada,Lovelace,ada.lovelace@example.org,1985-12-10")
    uploads.drain()
    state = uploads.get(started.import_id)
    assert (state.counts.created, state.counts.duplicates) == (5, 1)
    duplicate = next(r for r in state.report if r.outcome == "duplicate")
    assert duplicate.row == 7 and duplicate.duplicate_of and duplicate.score >= 0.8


def test_a_part_delivered_twice_is_counted_once(uploads):
    started = uploads.start()
    uploads.put(started.import_id, *people(5))
    split = uploads.messages()
    uploads.service.handle(json.loads(split[0]["Body"]), False)
    uploads.sqs.delete_message(QueueUrl=uploads.queue_url, ReceiptHandle=split[0]["ReceiptHandle"])
    parts = [json.loads(m["Body"]) for m in uploads.messages()]
    assert len(parts) == 2
    assert [uploads.service.handle(part, False) for part in parts + parts] == [
        "imported",
        "imported",
        "already_recorded",
        "already_recorded",
    ]
    state = uploads.get(started.import_id)
    assert (state.parts.done, state.counts.rows, state.counts.created) == (2, 5, 5)


def test_a_repeated_notification_does_not_cut_the_file_twice(uploads):
    started = uploads.start()
    uploads.put(started.import_id, *people(2))
    notification = json.loads(uploads.messages()[0]["Body"])
    assert uploads.service.handle(notification, False) == "split"
    assert uploads.service.split(object_key(started.import_id)) == 0  # already cut
    assert uploads.service.split("uploads/not-an-import.csv") == 0


def test_a_part_that_fails_every_attempt_is_reported_and_the_import_still_finishes(uploads, monkeypatch):
    started = uploads.start()
    uploads.put(started.import_id, *people(4))

    def broken(request, actor):
        raise RuntimeError("p0@example.com")  # an error that quotes a row must not reach the report

    uploads.service.handle(json.loads(uploads.messages()[0]["Body"]), False)  # cut into parts
    monkeypatch.setattr(uploads.service.imports, "load", broken)
    parts = [json.loads(m["Body"]) for m in uploads.messages()]
    with pytest.raises(RuntimeError):
        uploads.service.handle(parts[0], final_attempt=False)  # back to the queue, to try again
    assert [uploads.service.handle(part, final_attempt=True) for part in parts] == ["not_imported"] * 2
    state = uploads.get(started.import_id)
    assert (state.status, state.counts.not_imported) == ("done", 4)
    (first, *_) = [r.problems[0].problem for r in state.report]
    assert first.startswith("rows 2-4 not imported: an error (RuntimeError)")
    assert "p0@example.com" not in state.model_dump_json()


@pytest.mark.parametrize(
    ("body", "problem"), [(b"", "the file is empty"), (b"name,email\nAda,a@example.com\n", "unknown column(s) name")]
)
def test_a_file_that_cannot_be_read_fails_the_import_with_the_reason(uploads, body, problem):
    started = uploads.start()
    uploads.s3.put_object(Bucket=BUCKET, Key=object_key(started.import_id), Body=body)
    uploads.drain()
    state = uploads.get(started.import_id)
    assert state.status == "failed" and problem in state.problem and state.counts.rows == 0


def test_the_report_pages_across_parts_in_row_order(uploads):
    started = uploads.start()
    uploads.put(started.import_id, *[f"Bad{n},X,nope{n}," for n in range(8)])
    uploads.drain()
    seen, cursor = [], None
    while True:
        page = uploads.get(started.import_id, limit=3, cursor=cursor)
        seen += [row.row for row in page.report]
        if not (cursor := page.next_cursor):
            break
    assert seen == list(range(2, 10))


def test_an_unknown_import_is_a_404_and_a_forged_cursor_a_400(uploads):
    from cis.errors import InvalidRequest, NotFound

    with pytest.raises(NotFound):
        uploads.get("01J0000000000000000000000Z")
    started = uploads.start()
    with pytest.raises(InvalidRequest):
        uploads.get(started.import_id, cursor="eyJwYXJ0IjogLTF9")


def test_a_part_travels_with_its_text_and_one_too_long_for_a_message_is_read_from_the_file(uploads, monkeypatch):
    started = uploads.start()
    uploads.put(started.import_id, *people(5))
    uploads.service.handle(json.loads(uploads.messages()[0]["Body"]), False)  # cut into parts
    parts = [json.loads(m["Body"]) for m in uploads.messages()]
    assert [part["text"].count("\n") for part in parts] == [3, 2]
    reads = []
    read_range = uploads.service.bucket.read_range
    monkeypatch.setattr(uploads.service.bucket, "read_range", lambda *a: reads.append(a) or read_range(*a))
    assert uploads.service.handle(parts[0], False) == "imported" and reads == []
    too_long = {key: value for key, value in parts[1].items() if key != "text"}  # as split sends one that would not fit
    assert uploads.service.handle(too_long, False) == "imported" and len(reads) == 1
    state = uploads.get(started.import_id)
    assert (state.status, state.counts.created) == ("done", 5)


def test_parts_go_out_in_batches_within_the_queues_limits(uploads, monkeypatch):
    sent = []
    monkeypatch.setattr(uploads.sqs, "send_message_batch", lambda **kw: sent.append(kw["Entries"]) or {})
    bulky = [{"part": n, "text": "x" * 60_000} for n in range(9)] + [{"part": n} for n in range(9, 30)]
    WorkQueue(uploads.sqs, uploads.queue_url).send(bulky)
    assert [len(batch) for batch in sent] == [4, 4, 10, 10, 2]
    assert all(sum(len(entry["MessageBody"]) for entry in batch) <= 256 * 1024 for batch in sent)
    assert [json.loads(entry["MessageBody"])["part"] for batch in sent for entry in batch] == list(range(30))
    assert not WorkQueue.fits({"text": "x" * 256 * 1024}) and WorkQueue.fits(bulky[0])
