"""The one retry-on-conflict loop: how often it tries, when it pauses, what it raises (no AWS)."""

from types import SimpleNamespace

import pytest
from cis.errors import Conflict, PreconditionFailed
from cis.repository.customers import VersionConflict
from cis.repository.retries import MAX_ATTEMPTS, read_modify_write, retry_on_conflict


def losing(times: int):
    """An attempt that loses `times` races, then answers how many attempts it took."""
    calls = []

    def attempt():
        calls.append(1)
        if len(calls) <= times:
            raise VersionConflict
        return len(calls)

    return attempt


def test_a_lost_race_is_tried_again_after_a_growing_pause():
    pauses = []
    assert retry_on_conflict(losing(2), pauses.append) == 3
    assert pauses == [0, 1]


def test_after_every_attempt_lost_it_raises_what_the_caller_names_or_the_last_conflict():
    with pytest.raises(Conflict):
        retry_on_conflict(losing(MAX_ATTEMPTS), lambda _: None, lambda: Conflict("busy", code="concurrent_update"))
    with pytest.raises(VersionConflict):
        retry_on_conflict(losing(3), lambda _: None, attempts=3)


class Stored:
    def __init__(self, version: int, losses: int = 0):
        self.record, self.losses, self.writes = SimpleNamespace(version=version), losses, 0

    def write(self, new, current):
        self.writes += 1
        if self.writes <= self.losses:
            raise VersionConflict
        self.record = new


def bump(current):
    return SimpleNamespace(version=current.version + 1)


def test_read_modify_write_reads_again_after_a_lost_race_without_if_match():
    stored = Stored(version=1, losses=2)
    updated = read_modify_write("thing 1", lambda: stored.record, bump, stored.write, None, lambda _: None)
    assert updated.version == 2 and stored.writes == 3


def test_with_if_match_another_version_or_a_lost_race_is_412():
    stored = Stored(version=2)
    with pytest.raises(PreconditionFailed) as other:
        read_modify_write("thing 1", lambda: stored.record, bump, stored.write, 1, lambda _: None)
    assert other.value.current_version == 2 and stored.writes == 0
    raced = Stored(version=1, losses=1)
    with pytest.raises(PreconditionFailed):
        read_modify_write("thing 1", lambda: raced.record, bump, raced.write, 1, lambda _: None)
    assert raced.writes == 1


def test_nothing_to_change_writes_nothing():
    stored = Stored(version=1)
    assert read_modify_write("thing 1", lambda: stored.record, lambda _: None, stored.write, None) is stored.record
    assert stored.writes == 0
