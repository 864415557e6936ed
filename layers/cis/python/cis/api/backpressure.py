"""AWS errors that outlasted botocore's retries and that a client can act on by retrying later.

Throttling is the service asking us to slow down: 503 with Retry-After (the throttled request, or
the transaction it cancelled, was not applied). A write blocked by another writer's transaction is
the contract's concurrent_update (409, Retry-After).
"""

from __future__ import annotations

from botocore.exceptions import ClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

from cis.errors import CisError, concurrent_update
from cis.repository import transactions

# botocore's own list of throttling codes (ThrottlingException, ProvisionedThroughputExceededException,
# RequestLimitExceeded, TransactionInProgressException, ...): the ones its standard mode retried.
_THROTTLING = ThrottledRetryableChecker()
RETRY_AFTER_S = 1


def throttled(error: BaseException) -> bool:
    if not isinstance(error, ClientError):
        return False
    if _THROTTLING.is_retryable(RetryContext(attempt_number=1, parsed_response=error.response)):
        return True
    return transactions.throttled(error)  # a transaction cancelled because one of its items was throttled


def as_conflict(error: BaseException) -> CisError | None:
    """A single write refused because a transaction holds its item (TransactionConflictException)."""
    if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") == "TransactionConflictException":
        return concurrent_update("this record")
    return None
