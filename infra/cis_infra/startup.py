"""How each function starts and how much of the account's concurrency it may take: SnapStart,
provisioned concurrency and reserved concurrency, read from cdk.json's context. The defaults are here.

Every function is published as a version with an alias (`ALIAS`), and everything that invokes
it (API Gateway, event source mappings, the scheduler, bus rules) names the alias, never the
function: what runs is always a published version. With SnapStart (context `snapStart`, on by
default for every function) that version is restored from a snapshot of its finished init, so no
cold start imports or compiles the project. Provisioned concurrency goes on the alias instead,
for the functions named in `provisionedConcurrency`; Lambda takes only one of the two per
version, and so does the synth.

Reserved concurrency (`reservedConcurrency`) both guarantees and caps: the stream processor, the
jobs and the notifier keep theirs whatever the API does, and each API function may not take
more than its share of the account.

    cdk synth                                           # SnapStart on every function, reservations below
    cdk synth -c snapStart=false                        # no SnapStart anywhere
    cdk synth -c snapStart='["customers_api"]'          # SnapStart on these functions only
    cdk synth -c snapStart='["timeline_api"]' -c provisionedConcurrency='{"customers_api": 2}'
    cdk synth -c reservedConcurrency='{"notifier": 3, "api_docs": false}'  # over the defaults; false: none
    cdk synth -c reservedConcurrency=false              # no reservations (an account below the quota)
    cdk synth -c accountConcurrency=400                 # the account's concurrency quota, if not 1,000
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cis.topology import FUNCTIONS, Function
from constructs import Construct

SNAP_START_CONTEXT = "snapStart"
PROVISIONED_CONTEXT = "provisionedConcurrency"
RESERVED_CONTEXT = "reservedConcurrency"
ACCOUNT_CONTEXT = "accountConcurrency"

ALIAS = "live"  # the one name every invoker uses

# Lambda keeps at least this much of the account's concurrency unreserved, and refuses a
# reservation that would leave less; the quota is 1,000 per Region unless raised (or, in some new
# accounts, lower: then lower the reservations, or drop them with -c reservedConcurrency=false).
UNRESERVED_MINIMUM = 100
ACCOUNT_CONCURRENCY = 1000

# Reserved concurrency by what invokes the function (README, "Cold starts and concurrency").
API_CAP = 20  # the stage's 100 rps at ~200 ms a request keep ~20 busy: one API function may take it all, not more
# Customers' own routes: their traffic may not crowd out the staff's, whatever a sign-up campaign brings.
CUSTOMER_API_CAP = 10
# One-click unsubscribes (signed routes): a person's click or a mail client's POST, ~100 ms each; 5 take
# ~50 a second, more than a campaign's unsubscribes bring, and a flood of forged links stays this small.
SIGNED_API_CAP = 5
TRIGGER_RESERVED = 2  # a Cognito trigger: one sign-up's confirmation takes a few hundred milliseconds
STREAM_RESERVED = 10  # one batch per shard at a time (parallelization factor 1): room for 10 shards
JOB_RESERVED = 2  # a daily run, and its continuation or a retry overlapping it
QUEUE_RESERVED = 5  # Lambda's SQS poller starts with 5 concurrent batches; fewer would throttle them


def default_reservation(spec: Function) -> int:
    if spec.routes and all(route.signed for route in spec.routes):
        return SIGNED_API_CAP
    if spec.routes:
        return CUSTOMER_API_CAP if all(route.customer for route in spec.routes) else API_CAP
    if spec.cognito_triggers:
        return TRIGGER_RESERVED
    if spec.reads_table_stream:
        return STREAM_RESERVED
    if spec.schedule is not None:
        return JOB_RESERVED
    if spec.queue is not None:
        return QUEUE_RESERVED
    if spec.work is not None:
        return spec.work.max_concurrency  # as many as its event source may run at once
    raise ValueError(f"{spec.name}: nothing invokes it, so there is no default reservation for it")


@dataclass(frozen=True)
class Startup:
    """How one function starts: from a SnapStart snapshot, or with environments provisioned on its alias."""

    snap_start: bool
    provisioned: int | None  # environments kept initialized on the alias
    reserved: int | None  # ReservedConcurrentExecutions: guaranteed to it, and its ceiling


def _context(scope: Construct, key: str, default: Any) -> Any:
    value = scope.node.try_get_context(key)
    if value is None:
        return default
    if isinstance(value, str):  # -c key=... on the command line gives text
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(f"context {key} is not JSON (true, false, a number, list or object): {value!r}") from None
    return value


def _known(key: str, names) -> None:
    if unknown := sorted(set(names) - {spec.name for spec in FUNCTIONS}):
        raise ValueError(f"context {key} names functions the topology does not declare: {unknown}")


def _count(key: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"context {key}: {name} must be a whole number of environments, at least 1, got {value!r}")
    return value


def snap_started(scope: Construct) -> set[str]:
    """The functions that start from a snapshot: every one (true, the default), none (false), or a list."""
    value = _context(scope, SNAP_START_CONTEXT, True)
    if isinstance(value, bool):
        return {spec.name for spec in FUNCTIONS} if value else set()
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        _known(SNAP_START_CONTEXT, value)
        return set(value)
    raise ValueError(f"context {SNAP_START_CONTEXT} must be true, false or a list of function names, got {value!r}")


def provisioned(scope: Construct) -> dict[str, int]:
    value = _context(scope, PROVISIONED_CONTEXT, {})
    if not isinstance(value, Mapping):
        raise ValueError(f"context {PROVISIONED_CONTEXT} must map function names to environments, got {value!r}")
    _known(PROVISIONED_CONTEXT, value)
    return {name: _count(PROVISIONED_CONTEXT, name, count) for name, count in value.items()}


def reserved(scope: Construct) -> dict[str, int]:
    """The defaults above, with the context's values over them (false: no reservation for that one);
    false instead of an object: no reservation anywhere. (Not null: CDK drops null values from context.)"""
    value = _context(scope, RESERVED_CONTEXT, {})
    if value is False:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"context {RESERVED_CONTEXT} must be false or map function names to counts, got {value!r}")
    _known(RESERVED_CONTEXT, value)
    merged: dict[str, int | bool] = {spec.name: default_reservation(spec) for spec in FUNCTIONS} | dict(value)
    return {name: _count(RESERVED_CONTEXT, name, count) for name, count in merged.items() if count is not False}


def startup_plan(scope: Construct) -> dict[str, Startup]:
    """Every function's Startup, checked as Lambda would check it at deploy time, but before anything deploys."""
    snapshots, warm, reservations = snap_started(scope), provisioned(scope), reserved(scope)
    for name, count in warm.items():
        if name in snapshots:
            raise ValueError(
                f"{name}: SnapStart and provisioned concurrency exclude each other (Lambda refuses provisioned "
                f"concurrency on a SnapStart version). Leave {name} out of context {SNAP_START_CONTEXT} "
                f"(-c {SNAP_START_CONTEXT}='[...]' listing the others, or false), or drop it from "
                f"{PROVISIONED_CONTEXT}."
            )
        if name in reservations and count > reservations[name]:
            raise ValueError(
                f"{name}: {count} provisioned environments exceed its reserved concurrency "
                f"({reservations[name]}): raise it in context {RESERVED_CONTEXT}"
            )
    quota = _context(scope, ACCOUNT_CONTEXT, ACCOUNT_CONCURRENCY)
    if isinstance(quota, bool) or not isinstance(quota, int) or quota < 1:
        raise ValueError(f"context {ACCOUNT_CONTEXT} must be the account's concurrency quota, a number: {quota!r}")
    if (total := sum(reservations.values())) and total > quota - UNRESERVED_MINIMUM:
        raise ValueError(
            f"context {RESERVED_CONTEXT} reserves {total} of the account's {quota} concurrent executions; Lambda "
            f"keeps {UNRESERVED_MINIMUM} unreserved, so at most {quota - UNRESERVED_MINIMUM} can be reserved: lower "
            f"the reservations, or set -c {RESERVED_CONTEXT}=false"
        )
    return {
        spec.name: Startup(spec.name in snapshots, warm.get(spec.name), reservations.get(spec.name))
        for spec in FUNCTIONS
    }
