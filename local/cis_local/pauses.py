"""Shorter garbage-collection pauses for the local runtime's processes.

CPython's full (oldest-generation) collection walks every object the process holds: in a container,
every object of the handler's imports (pydantic, Powertools, botocore's models); in moto's server,
those of moto and botocore and then every item, every stream record and each of their attribute
values. Measured under the load run, single pauses of 100-500 ms, during which every request in
that process waits; a p99 is made of such moments.

Objects that live as long as the process (imports, setup, the table's data) need no such walks:
`gc.freeze()` moves what exists to a generation the collector leaves alone (reference counting
still frees anything that dies outside a cycle). Each process freezes once it has started; moto's
server, whose data keeps growing, also freezes again after each full collection, so the next one
walks only what was made since.
"""

from __future__ import annotations

import gc

_OLDEST = 2  # CPython's three generations: 0, 1 and this one, which only full collections walk


def settle() -> None:
    """Collect once, then exempt everything still alive from later full collections."""
    gc.collect()
    gc.freeze()


class RefreezeAfterFullCollections:
    """For a process whose long-lived data grows: after each full collection, `between_requests()`
    freezes what survived it. Called where no request is half done (moto's server, under its lock)."""

    def __init__(self):
        self.collected = False
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == _OLDEST:
            self.collected = True

    def between_requests(self) -> None:
        if self.collected:
            self.collected = False
            gc.freeze()
