"""Deliver the table's stream to the stream processor, as Lambda's event source mapping does.

Reads every shard of the table's stream (moto's server mode keeps one), hands the processor
batches in Lambda's event shape, and on reported failures redelivers from the first failed
record; after MAX_DELIVERIES the failed records go to the dead-letter queue.

It reads as soon as it is nudged (the gateway nudges it after every invocation: a function's writes
are committed when it returns) and otherwise every IDLE_POLL_SECONDS, for writes made elsewhere
(`cis jobs run`, a script on the table). Polling idle every 0.3 s, as before, cost each idle runtime
about 5% of a core in requests to its DynamoDB.
"""

from __future__ import annotations

import json
import logging
import threading
import time

BATCH_SIZE = 100
MAX_DELIVERIES = 3
IDLE_POLL_SECONDS = 2.0
NUDGE_GATHER_SECONDS = 0.1  # after a nudge, wait this long for more writes: a burst of calls makes one read
log = logging.getLogger("cis_local.streams")


class StreamPump:
    def __init__(self, dynamodb, streams, sqs, table_name: str, invoke, dead_letter_url: str, region: str, entities=()):
        self.dynamodb, self.streams, self.sqs = dynamodb, streams, sqs
        self.entities = set(entities)  # the topology's event filter, as Lambda applies it
        self.table, self.invoke, self.dead_letter_url, self.region = table_name, invoke, dead_letter_url, region
        self.stopping = threading.Event()
        self.nudged = threading.Event()
        self.thread = threading.Thread(target=self._run, name="stream-pump", daemon=True)
        self.delivered = 0

    def start(self) -> None:
        self.thread.start()

    def nudge(self) -> None:
        """Read the stream now: something was just written (or may have been)."""
        self.nudged.set()

    def stop(self) -> None:
        self.stopping.set()
        self.nudged.set()
        self.thread.join(timeout=5)

    def _iterator(self, arn: str, shard_id: str, after: str | None) -> str:
        # A fresh iterator on every poll: moto replaces the stream's shard when it rolls back a
        # failed transaction, and an iterator taken before reads the stale copy (rolled-back
        # writes included) and then nothing more. Lambda's poller resumes the same way, by position.
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after} if after else {}
        return self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard_id, **(position or {"ShardIteratorType": "TRIM_HORIZON"})
        )["ShardIterator"]

    def _run(self) -> None:
        arn = self.dynamodb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        delivered_up_to: dict[str, str | None] = {}  # shard id -> sequence number of the last record handled
        while not self.stopping.is_set():
            self.nudged.clear()  # a nudge from here on makes another read at once
            busy = False
            try:
                for shard in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                    shard_id = shard["ShardId"]
                    iterator = self._iterator(arn, shard_id, delivered_up_to.get(shard_id))
                    records = self.streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)["Records"]
                    if records:
                        busy = True
                        wanted = [
                            r | {"eventSourceARN": arn, "awsRegion": self.region} for r in records if self._wanted(r)
                        ]
                        if wanted:
                            self._deliver(wanted)
                        delivered_up_to[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            except Exception:  # keep pumping: a local runtime should survive a bad moment
                if not self.stopping.is_set():
                    log.exception("stream delivery failed; retrying")
            # Drain a backlog at full speed; idle, wait for a nudge (then for the rest of its burst) or the idle poll.
            if not busy and self.nudged.wait(IDLE_POLL_SECONDS):
                self.stopping.wait(NUDGE_GATHER_SECONDS)

    def _wanted(self, record: dict) -> bool:
        if not self.entities:
            return True
        return record["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") in self.entities

    def _deliver(self, records: list[dict]) -> None:
        for attempt in range(1, MAX_DELIVERIES + 1):
            result = self.invoke({"Records": records}) or {}
            failures = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            if not failures:
                self.delivered += len(records)
                return
            first = min(i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failures)
            self.delivered += first
            records = records[first:]  # as Lambda: retry from the first failed record
            if attempt < MAX_DELIVERIES:
                time.sleep(0.2 * attempt)
        for record in records:
            self.sqs.send_message(QueueUrl=self.dead_letter_url, MessageBody=json.dumps(record, default=str))
        log.error("%d stream records went to the dead-letter queue", len(records))
