"""SnapStart runtime hooks: what a snapshot must not hand to every environment restored from it.

With SnapStart, Lambda runs a function's init once, when a version is published, and starts
each new execution environment from a snapshot of its memory. Whatever init left behind is then
shared by all of them:

- `random`'s state, seeded once at import: every environment would draw the same numbers (the
  jittered backoffs of botocore and `cis.repository.retries` would retry in lockstep);
- python-ulid's monotonic state (the last timestamp and randomness it issued), from which a
  ULID made in the same millisecond is the previous one plus one;
- the SDK clients' open connections (init makes no call, but a connection must never be shared).

`after_restore` re-seeds `random`, resets the ULID generator and closes the clients' connections
(each client opens its own on its next call); `before_snapshot` closes them too, so the snapshot
holds none. Before that it runs the preparations a function registered (`prepare_before_snapshot`):
what a cold start leaves to the first request (pydantic models built at first use, each route's
validation, the idempotency store) is then done once, at publish, and in the snapshot.
os.urandom, and with it `secrets`, uuid4 and the ULID randomness itself, reads the kernel, which
Lambda re-seeds on restore.

Every function imports this module at init (through `cis.repository.factory`, or its handler),
which registers the hooks with the runtime's `snapshot_restore_py`. Outside Lambda (tests, the
local runtime, the CDK app) that module does not exist and nothing is registered. Standard
library only, and nothing imported that the hooks may not need: it is on every cold start's path.
"""

from __future__ import annotations

import sys
from weakref import WeakSet

# The SDK clients `cis.repository.factory` built, whose connections the hooks close.
_clients: WeakSet = WeakSet()
registered = False
# Steps that do ahead of time what a first request would otherwise do after every restore.
_preparations: list = []


def track(client):
    """Remember an SDK client, so that no snapshot and no restored environment keeps its connections."""
    _clients.add(client)
    return client


def close_connections() -> int:
    """Close every tracked client's pooled connections; the client stays usable and reconnects."""
    clients = list(_clients)
    for client in clients:
        client.close()
    return len(clients)


def reseed_random() -> None:
    """A fresh seed for `random`'s shared generator, from os.urandom. Not imported yet: nothing to do,
    it seeds itself when first imported."""
    if (random := sys.modules.get("random")) is not None:
        random.seed()


def reset_ulid_generator() -> None:
    """Forget the last ULID python-ulid issued: its monotonic policy would otherwise continue from
    the snapshot's state. A fresh policy of the same kind keeps the generator's configuration."""
    if (ulid := sys.modules.get("ulid")) is None:
        return  # not loaded at init: no state in the snapshot
    generator = getattr(ulid, "default_generator", None)
    if generator is None:  # a python-ulid without a shared generator keeps no state
        return
    generator.policy = type(generator.policy)()


def prepare_before_snapshot(step):
    """Run `step` before the snapshot is taken. A step that fails fails the version's publication,
    which is when a broken model should be found, rather than at a customer's first request."""
    _preparations.append(step)
    return step


def prepare() -> int:
    for step in _preparations:
        step()
    return len(_preparations)


def before_snapshot() -> None:
    prepare()
    close_connections()


def after_restore() -> None:
    reseed_random()
    reset_ulid_generator()
    close_connections()


def register() -> bool:
    """Register the hooks with Lambda's runtime, once; False where there is no such runtime."""
    global registered
    if registered:
        return True
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    registered = True
    return True


register()
