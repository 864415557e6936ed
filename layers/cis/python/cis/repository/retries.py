"""Writes that lost a race (VersionConflict): read again, reapply, write again, a few times.

If another writer wins the race between our read and our conditional write, we read again and
reapply rather than overwrite their change, backing off with jitter so that a burst of writers
to one record spreads out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from cis.errors import PreconditionFailed, concurrent_update
from cis.repository.customers import VersionConflict

MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 0.01

T = TypeVar("T")


def jittered_pause(attempt: int) -> None:
    time.sleep(random.uniform(0, BACKOFF_BASE_S * 2**attempt))


def retry_on_conflict(
    attempt: Callable[[], T],
    pause: Callable[[int], None] = jittered_pause,
    gave_up: Callable[[], Exception] | None = None,
    attempts: int = MAX_ATTEMPTS,
    conflict_type: type[VersionConflict] = VersionConflict,
) -> T:
    """attempt() until it does not raise VersionConflict (or the narrower `conflict_type`), pausing
    after each lost race. When every attempt lost, raise gave_up() (without it, the last conflict)."""
    for number in range(attempts):
        try:
            return attempt()
        except conflict_type as conflict:
            lost = conflict
            pause(number)
    raise gave_up() if gave_up else lost


class Versioned(Protocol):
    version: int


V = TypeVar("V", bound=Versioned)


def read_modify_write(
    what: str,
    read: Callable[[], V],
    modify: Callable[[V], V | None],
    write: Callable[[V, V], None],
    expected_version: int | None,
    pause: Callable[[int], None] = jittered_pause,
) -> V:
    """Write modify(read()) on condition that what was read is still stored (write(new, current)),
    and return it; modify answers None when there is nothing to change. A lost race reads again,
    unless the caller named the version it changes (If-Match): then it is 412, as is any other version."""

    def attempt() -> V:
        current = read()
        if expected_version is not None and current.version != expected_version:
            raise PreconditionFailed(
                f"{what} is at version {current.version}, not {expected_version}: "
                "read it again and reapply your change",
                current_version=current.version,
            )
        updated = modify(current)
        if updated is None:
            return current  # already as asked
        try:
            write(updated, current)
        except VersionConflict:
            if expected_version is not None:
                raise PreconditionFailed(f"{what} changed while this update was applied: read it again") from None
            raise
        return updated

    return retry_on_conflict(attempt, pause, lambda: concurrent_update(what))
