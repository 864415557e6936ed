"""Faults under the customers API, in-process: the real handler and its module-level DynamoDB client
on moto, with the fault injected by a botocore hook so that botocore's own retries run first.

Throttling that outlasts the retries is a 503 with Retry-After, in the common error shape, and the
table holds what it held before: no profile without its lookup items, no half-moved email. A
concurrent writer is the contract's 409/412: read again and retry, or say who won.
"""

import pytest
from cis.repository.factory import MAX_ATTEMPTS
from cis.repository.keys import lookup_item, lookup_key
from cis.topology import CUSTOMERS_API, FUNCTIONS

from tests.repository.faults import cancelled, in_process, inject, json_error


def test_a_throttled_call_gives_up_inside_every_api_functions_timeout():
    """botocore's throttling backoff waits at most 2**i s before attempt i+1 (standard mode): the API
    must answer 503 itself, not time out into API Gateway's 502/504."""
    longest_wait = sum(2**attempt for attempt in range(MAX_ATTEMPTS - 1))
    api_timeouts = [function.timeout_s for function in FUNCTIONS if function.routes]
    assert 2 * longest_wait < min(api_timeouts)  # even a read and a write, both throttled


@pytest.fixture
def api(dynamodb, monkeypatch):
    """The customers handler, in-process; its service's own retry backoff cut to nothing."""
    call = in_process(CUSTOMERS_API, monkeypatch)
    monkeypatch.setattr(call.module.service, "pause", lambda attempt: None)
    return call


ADA = {"given_name": "Ada", "emails": [{"address": "ada@example.com"}], "tags": ["vip"]}
ADA_LOOKUP = lookup_key("email", "ada@example.com")["PK"]["S"]


def created(api, body=ADA) -> dict:
    status, _, customer = api("POST", "/v1/customers", body)
    assert status == 201, customer
    return customer


def assert_busy(status: int, headers: dict, body: dict) -> None:
    """503, when to retry, and the error shape every other status has."""
    assert status == 503, body
    assert int(headers["Retry-After"]) >= 1
    assert set(body) == {"error"} and body["error"]["code"] == "unavailable"
    assert body["error"]["message"] and body["error"]["fields"] == []


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException"])
def test_a_create_throttled_past_botocores_retries_is_503_and_writes_nothing(api, all_items, code):
    before = all_items()
    with inject(api.client, "TransactWriteItems", json_error(code)) as fault:
        answer = api("POST", "/v1/customers", ADA)
    assert_busy(*answer)
    assert fault.injected == MAX_ATTEMPTS  # botocore retried before the API gave up
    assert all_items() == before  # no profile, lookup item or tag copy


def test_a_create_throttled_once_is_absorbed_by_botocores_retry(api, all_items):
    with inject(api.client, "TransactWriteItems", json_error("ThrottlingException"), times=1) as fault:
        customer = created(api)
    assert fault.injected == 1
    keys = {item["PK"]["S"] for item in all_items()}
    assert {f"CUST#{customer['id']}", ADA_LOOKUP} <= keys


def test_a_transaction_cancelled_by_throttling_is_503_and_writes_nothing(api, all_items):
    """DynamoDB cancels a transaction whose item is throttled: not retried by botocore, not a conflict."""
    before = all_items()
    with inject(api.client, "TransactWriteItems", cancelled("None", "ThrottlingError", "None")):
        answer = api("POST", "/v1/customers", ADA)
    assert_busy(*answer)
    assert all_items() == before


def test_an_email_change_throttled_is_503_and_the_email_stays_where_it_was(api, all_items):
    customer = created(api)
    before = all_items()
    patch = {"emails": [{"address": "ada.l@example.com"}]}
    with inject(api.client, "TransactWriteItems", json_error("ProvisionedThroughputExceededException")):
        answer = api("PATCH", f"/v1/customers/{customer['id']}", patch)
    assert_busy(*answer)
    assert all_items() == before  # the old lookup item kept, no new one, the profile at version 1


def test_a_field_update_over_the_request_limit_is_503_and_changes_nothing(api, all_items):
    customer = created(api)
    before = all_items()
    with inject(api.client, "UpdateItem", json_error("RequestLimitExceeded")) as fault:
        answer = api("PATCH", f"/v1/customers/{customer['id']}", {"locale": "en-GB"})
    assert_busy(*answer)
    assert fault.injected == MAX_ATTEMPTS
    assert all_items() == before


def test_a_throttled_read_is_503(api):
    customer = created(api)
    with inject(api.client, "GetItem", json_error("ThrottlingException")):
        answer = api("GET", f"/v1/customers/{customer['id']}")
    assert_busy(*answer)


def test_a_throttled_idempotency_record_is_503_and_the_key_is_still_usable(api, all_items):
    """Powertools wraps the store's error (IdempotencyPersistenceLayerError): still a throttle, not a 500."""
    before = all_items()
    key = {"Idempotency-Key": "create-ada-1"}
    with inject(api.client, "PutItem", json_error("ThrottlingException")):
        answer = api("POST", "/v1/customers", ADA, key)
    assert_busy(*answer)
    assert all_items() == before
    status, _, first = api("POST", "/v1/customers", ADA, key)
    assert status == 201
    assert api("POST", "/v1/customers", ADA, key)[2]["id"] == first["id"]


# -- a concurrent writer -------------------------------------------------------------------------
def another_writer(dynamodb, customer_id: str, times: int | None = None):
    """A hook that, just before our write is sent, commits someone else's change to the profile:
    moto then cancels our transaction (or condition) for real."""
    done = []

    def write(request):
        if times is None or len(done) < times:
            done.append(request)
            dynamodb.update_item(
                TableName="cis-test",
                Key={"PK": {"S": f"CUST#{customer_id}"}, "SK": {"S": "V#PROFILE"}},
                UpdateExpression="SET #v = #v + :one, given_name = :name",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":one": {"N": "1"}, ":name": {"S": f"Ada {len(done)}"}},
            )
        return None  # our request goes on, to lose the race

    write.done = done
    return write


def test_a_patch_that_loses_a_race_reads_again_and_keeps_the_other_change(api, dynamodb):
    customer = created(api)
    racer = another_writer(dynamodb, customer["id"], times=1)
    with inject(api.client, "TransactWriteItems", racer):
        status, headers, body = api("PATCH", f"/v1/customers/{customer['id']}", {"tags": ["vip", "gold"]})
    assert status == 200 and len(racer.done) == 1
    assert body["tags"] == ["vip", "gold"] and body["given_name"] == "Ada 1"  # theirs kept, ours applied
    assert headers["ETag"] == '"3"'


def test_a_patch_with_if_match_that_loses_a_race_is_412(api, dynamodb):
    customer = created(api)
    with inject(api.client, "TransactWriteItems", another_writer(dynamodb, customer["id"], times=1)):
        status, _, body = api("PATCH", f"/v1/customers/{customer['id']}", {"tags": ["gold"]}, {"If-Match": '"1"'})
    assert status == 412 and body["error"]["code"] == "precondition_failed"


def test_a_field_update_with_if_match_that_loses_a_race_is_412_naming_the_version(api, dynamodb):
    customer = created(api)
    with inject(api.client, "UpdateItem", another_writer(dynamodb, customer["id"], times=1)):
        status, _, body = api("PATCH", f"/v1/customers/{customer['id']}", {"locale": "en-GB"}, {"If-Match": '"1"'})
    assert status == 412 and body["error"]["current_version"] == 2


def test_a_patch_that_keeps_losing_is_409_concurrent_update_with_retry_after(api, dynamodb, all_items):
    customer = created(api)
    racer = another_writer(dynamodb, customer["id"])
    with inject(api.client, "TransactWriteItems", racer):
        status, headers, body = api("PATCH", f"/v1/customers/{customer['id']}", {"tags": ["gold"]})
    assert status == 409 and body["error"]["code"] == "concurrent_update"
    assert headers["Retry-After"] == "1"
    assert not any(item["SK"]["S"] == "TAG#gold" for item in all_items())  # none of ours written


def test_a_transaction_conflict_is_retried_then_409_concurrent_update(api, all_items):
    """TransactionConflict: another transaction holds an item. The service retries, as for a lost race."""
    customer = created(api)
    conflict = cancelled("TransactionConflict", "None")
    with inject(api.client, "TransactWriteItems", conflict, times=1):
        assert api("PATCH", f"/v1/customers/{customer['id']}", {"tags": ["gold"]})[0] == 200
    before = all_items()
    with inject(api.client, "TransactWriteItems", conflict):
        status, headers, body = api("PATCH", f"/v1/customers/{customer['id']}", {"tags": ["silver"]})
    assert status == 409 and body["error"]["code"] == "concurrent_update" and headers["Retry-After"] == "1"
    assert all_items() == before


def test_a_single_write_blocked_by_a_transaction_is_409_concurrent_update(api, all_items):
    """TransactionConflictException: an UpdateItem on an item a transaction is writing."""
    customer = created(api)
    before = all_items()
    with inject(api.client, "UpdateItem", json_error("TransactionConflictException")):
        status, headers, body = api("PATCH", f"/v1/customers/{customer['id']}", {"locale": "en-GB"})
    assert status == 409 and body["error"]["code"] == "concurrent_update" and headers["Retry-After"] == "1"
    assert all_items() == before


def test_a_create_racing_another_for_the_same_email_is_409_duplicate_naming_the_winner(api, dynamodb, all_items):
    def rival_takes_the_email(request):
        dynamodb.put_item(
            TableName="cis-test",
            Item=lookup_item("email", "ada@example.com", "01JRIVAL0000000000000000000"),
        )

    with inject(api.client, "TransactWriteItems", rival_takes_the_email, times=1):
        status, _, body = api("POST", "/v1/customers", ADA)
    assert status == 409 and body["error"]["code"] == "duplicate"
    assert body["error"]["existing_customer_id"] == "01JRIVAL0000000000000000000"
    assert [item["PK"]["S"] for item in all_items()] == [ADA_LOOKUP]  # only the rival's


def test_a_create_whose_idempotency_record_cannot_be_completed_is_503_and_its_retry_creates_no_second(api, all_items):
    """The customer is written, then Powertools cannot mark the key done: the answer is lost. The
    retry with the same key meets the key still in progress (409, Retry-After), not a second create."""
    key = {"Idempotency-Key": "create-ada-2"}
    with inject(api.client, "UpdateItem", json_error("ThrottlingException")):
        assert_busy(*api("POST", "/v1/customers", ADA, key))
    status, headers, body = api("POST", "/v1/customers", ADA, key)
    assert status == 409 and body["error"]["code"] == "in_progress" and headers["Retry-After"] == "1"
    assert len([item for item in all_items() if item["SK"]["S"] == "V#PROFILE"]) == 1
