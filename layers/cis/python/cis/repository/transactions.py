"""TransactWriteItems with named actions: when DynamoDB cancels one, which action failed, and why.

DynamoDB answers a cancelled transaction with one reason per action, in the order sent. The caller
names each action as it builds the transaction ("profile", "order", ...), so its explanation reads
`cancelled.failed("profile")` rather than counting positions that move when an action is optional.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from botocore.exceptions import ClientError

Action = tuple[str, dict]  # (the caller's name for it, the TransactItems entry)

CONDITION_FAILED = "ConditionalCheckFailed"
LOST_RACE = "TransactionConflict"  # another writer's transaction held the item
# Reasons of an item DynamoDB throttled: none of the transaction was written, and no other writer
# is involved. botocore does not retry a cancelled transaction; the API answers 503.
THROTTLED = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})


@dataclass(frozen=True)
class Reason:
    name: str  # the action's name; "" for a reason past the actions named
    code: str  # ConditionalCheckFailed, TransactionConflict, ThrottlingError, ... "None" where it was fine
    item: dict | None = None  # the stored item, where the action asked ReturnValuesOnConditionCheckFailure


def reasons(error: ClientError, names: Sequence[str] = ()) -> list[Reason]:
    """Each action's cancellation reason, named as the caller named the actions."""
    sent = error.response.get("CancellationReasons") or []
    return [
        Reason(name or "", reason.get("Code", "None"), reason.get("Item"))
        for name, reason in zip_longest(names, sent)
        if reason is not None
    ]


def throttled(error: ClientError) -> bool:
    """A transaction cancelled because one of its items was throttled, not by a condition or a race."""
    return any(reason.code in THROTTLED for reason in reasons(error))


class TransactionCancelled(ClientError):
    """DynamoDB cancelled the transaction: nothing of it was written. It stays the ClientError it
    was, so one re-raised unexplained still reads as throttled (503) or failed where that is decided."""

    def __init__(self, error: ClientError, names: Sequence[str]):
        super().__init__(error.response, error.operation_name)
        self.reasons = reasons(error, names)

    def failed(self, name: str) -> Reason | None:
        """The first action called `name` whose condition failed, if one did."""
        return next((r for r in self.reasons if r.name == name and r.code == CONDITION_FAILED), None)

    @property
    def lost_race(self) -> bool:
        return any(reason.code == LOST_RACE for reason in self.reasons)

    @property
    def throttled(self) -> bool:
        return any(reason.code in THROTTLED for reason in self.reasons)


def transact(client: Any, actions: Sequence[Action]) -> None:
    """Run the actions as one transaction; if DynamoDB cancels it, raise TransactionCancelled."""
    try:
        client.transact_write_items(TransactItems=[action for _, action in actions])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        raise TransactionCancelled(error, [name for name, _ in actions]) from error
