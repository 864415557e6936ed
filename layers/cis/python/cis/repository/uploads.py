"""The upload bucket and the import worker's queue: where files come in, and how their parts go out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

READ_CHUNK = 1024 * 1024
SEND_BATCH = 10  # SendMessageBatch's limit
MAX_BATCH_BYTES = 256 * 1024  # SQS's limit for a message, and for the messages of one batch


class FileReplaced(Exception):
    """The object is no longer the one that was cut into parts (uploaded again meanwhile)."""


class UploadBucket:
    def __init__(self, client: Any, bucket: str):
        self.client, self.bucket = client, bucket  # an S3 client

    def upload_url(self, key: str, seconds: int) -> str:
        """A URL that PUTs one object at `key` for `seconds`, with the signer's rights and no others."""
        return self.client.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds, HttpMethod="PUT"
        )

    def read(self, key: str) -> tuple[str, int, Iterator[bytes]]:
        """The object's ETag, its size, and its bytes in chunks."""
        answer = self.client.get_object(Bucket=self.bucket, Key=key)
        return answer["ETag"], answer["ContentLength"], answer["Body"].iter_chunks(READ_CHUNK)

    def read_range(self, key: str, start: int, end: int, etag: str) -> bytes:
        """Bytes [start, end) of the object, if it is still the version with `etag`."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end - 1}", IfMatch=etag)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("PreconditionFailed", "412"):
                raise FileReplaced(key) from None
            raise
        return answer["Body"].read()


class WorkQueue:
    def __init__(self, client: Any, queue_url: str):
        self.client, self.url = client, queue_url  # an SQS client

    @staticmethod
    def fits(message: dict) -> bool:
        """Whether SQS takes the message."""
        return len(json.dumps(message).encode()) <= MAX_BATCH_BYTES

    def send(self, messages: list[dict]) -> None:
        """Every message, up to ten and 256 KiB a request; what SQS turns down is sent again, and an error
        if it keeps refusing."""
        for batch in _batches([json.dumps(message) for message in messages]):
            pending = {str(n): body for n, body in enumerate(batch)}
            for _ in range(3):
                entries = [{"Id": id_, "MessageBody": body} for id_, body in pending.items()]
                failed = self.client.send_message_batch(QueueUrl=self.url, Entries=entries).get("Failed", [])
                pending = {f["Id"]: pending[f["Id"]] for f in failed}
                if not pending:
                    break
            if pending:
                raise RuntimeError(f"SQS refused {len(pending)} messages: {failed[0].get('Message')}")


def _batches(bodies: list[str]) -> Iterator[list[str]]:
    """The bodies in order, grouped within SendMessageBatch's limits on count and bytes."""
    batch: list[str] = []
    size = 0
    for body in bodies:
        length = len(body.encode())
        if batch and (len(batch) == SEND_BATCH or size + length > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(body)
        size += length
    if batch:
        yield batch
