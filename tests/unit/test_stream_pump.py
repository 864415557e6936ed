"""The local stream pump polls without hammering moto's one-request-at-a-time server: a full batch is
followed by the next poll at once, a partial one by a short batching window, an empty one by the idle
interval, failures by a growing back-off; the shard list is not read again on every poll."""

import pytest
from cis_local import streams
from cis_local.streams import StreamPump

ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/cis/stream/1"


class Stopping:
    """The pump's stop event, recording every pause instead of taking it; set after `rounds` pauses."""

    def __init__(self, rounds: int):
        self.rounds, self.waits = rounds, []

    def is_set(self) -> bool:
        return len(self.waits) >= self.rounds

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return self.is_set()


class Nudged:
    """The pump's nudge event, its waits recorded with the stop event's; `nudges` answers, wait by wait."""

    def __init__(self, stopping: Stopping, nudges=()):
        self.stopping, self.nudges = stopping, list(nudges)

    def clear(self) -> None:
        pass

    def wait(self, seconds: float) -> bool:
        self.stopping.waits.append(seconds)
        return self.nudges.pop(0) if self.nudges else False


class Table:
    def describe_table(self, TableName):
        return {"Table": {"LatestStreamArn": ARN}}


class Stream:
    """A stream whose GetRecords answers, call by call, as scripted: a number of records, or an error."""

    def __init__(self, script):
        self.script, self.described, self.positions, self.sequence = list(script), 0, [], 0

    def describe_stream(self, StreamArn):
        self.described += 1
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-1"}]}}

    def get_shard_iterator(self, StreamArn, ShardId, ShardIteratorType, SequenceNumber=None):
        self.positions.append(SequenceNumber)
        return {"ShardIterator": "iterator"}

    def get_records(self, ShardIterator, Limit):
        step = self.script.pop(0) if self.script else 0
        if isinstance(step, Exception):
            raise step
        records = []
        for _ in range(min(step, Limit)):
            self.sequence += 1
            records.append({"eventID": str(self.sequence), "dynamodb": {"SequenceNumber": str(self.sequence)}})
        return {"Records": records}


def pump(script, rounds, nudges=()):
    delivered = []
    stream = Stream(script)
    the_pump = StreamPump(Table(), stream, None, "cis", lambda event: delivered.append(event["Records"]), "dlq", "eu")
    the_pump.stopping = Stopping(rounds)
    the_pump.nudged = Nudged(the_pump.stopping, nudges)
    return the_pump, stream, delivered


def test_a_full_batch_is_followed_at_once_a_partial_one_by_the_batching_window_none_by_the_idle_wait():
    the_pump, stream, delivered = pump([streams.BATCH_SIZE, 3, 0, 0], rounds=3)
    the_pump._run()
    assert the_pump.stopping.waits == [
        streams.BATCH_WINDOW_SECONDS,
        streams.IDLE_POLL_SECONDS,
        streams.IDLE_POLL_SECONDS,
    ]
    assert [len(batch) for batch in delivered] == [streams.BATCH_SIZE, 3]
    # Each poll resumes after the last record handled, from a fresh iterator.
    assert stream.positions == [None, str(streams.BATCH_SIZE), str(streams.BATCH_SIZE + 3), str(streams.BATCH_SIZE + 3)]
    assert stream.described == 1  # the shard list, read once for all these polls


def test_failed_polls_back_off_and_read_the_shard_list_again(caplog):
    failures = [RuntimeError("moto is away")] * 6
    the_pump, stream, delivered = pump([*failures, 2, 0], rounds=8)
    the_pump._run()
    backoff = [min(streams.RETRY_SECONDS * 2**n, streams.MAX_BACKOFF_SECONDS) for n in range(6)]
    assert the_pump.stopping.waits == [*backoff, streams.BATCH_WINDOW_SECONDS, streams.IDLE_POLL_SECONDS]
    assert backoff[-1] == streams.MAX_BACKOFF_SECONDS
    assert [len(batch) for batch in delivered] == [2]
    assert stream.described == 1 + len(failures)
    assert caplog.text.count("stream delivery failed") == len(failures)


@pytest.mark.parametrize("rounds", [1, 5])
def test_an_idle_stream_is_polled_once_an_interval(rounds):
    the_pump, stream, delivered = pump([], rounds=rounds)
    the_pump._run()
    assert the_pump.stopping.waits == [streams.IDLE_POLL_SECONDS] * rounds
    assert len(stream.positions) == rounds and delivered == []


def test_a_nudge_while_idle_reads_after_the_batching_window_not_the_idle_interval():
    the_pump, _, delivered = pump([0, 4], rounds=3, nudges=[True])
    the_pump._run()
    assert the_pump.stopping.waits[:2] == [streams.IDLE_POLL_SECONDS, streams.BATCH_WINDOW_SECONDS]
    assert [len(batch) for batch in delivered] == [4]
