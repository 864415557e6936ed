"""`cis restore`: the steps it prints, and the per-kind count that checks a restored table."""

from __future__ import annotations

import io

import pytest
from cis.domain.customer import CustomerCreate
from cis.service.customers import CustomerService
from cis_local.cli import main
from cis_local.restore import kind_of, verify

from tests.dynamodb_local import fresh_table

RESTORED = "cis-test-restored"


@pytest.fixture
def restored(dynamodb, all_items, repository):
    """The table with a customer and an idempotency record in it, and a copy of it, as a restore makes."""
    CustomerService(repository).create(
        CustomerCreate(given_name="Ada", family_name="Lovelace", emails=[{"address": "ada@example.com"}]), "staff:a"
    )
    dynamodb.put_item(TableName="cis-test", Item={"PK": {"S": "IDEMPOTENCY"}, "SK": {"S": "hash"}})
    fresh_table(dynamodb, RESTORED)
    for item in all_items():
        dynamodb.put_item(TableName=RESTORED, Item=item)
    return dynamodb


def test_help_prints_the_restore_verify_and_switch_steps(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["restore", "--help"])
    assert exited.value.code == 0
    steps = capsys.readouterr().out
    for step in (
        "aws dynamodb restore-table-to-point-in-time",
        "--sse-specification-override Enabled=true,SSEType=KMS",
        "aws backup start-restore-job",
        'cis restore verify --source "$TABLE" --target "$RESTORED"',
        "TABLE_NAME",
    ):
        assert step in steps, step


def test_an_item_without_an_entity_is_counted_by_its_partition_key():
    assert kind_of({"PK": {"S": "CUST#1"}, "entity": {"S": "customer"}}) == "customer"
    assert kind_of({"PK": {"S": "MERGE#01"}}) == "MERGE"
    assert kind_of({"PK": {"S": "IDEMPOTENCY"}}) == "IDEMPOTENCY"


def test_a_complete_copy_verifies(restored, capsys):
    assert main(["restore", "verify", "--source", "cis-test", "--target", RESTORED]) == 0
    report = capsys.readouterr().out
    assert "customer" in report and "lookup" in report and "IDEMPOTENCY" in report
    assert "holds as many items of each kind" in report


def test_a_missing_item_fails_the_check_and_names_its_kind(restored, all_items):
    (profile,) = [item for item in all_items() if item.get("entity") == {"S": "customer"}]
    restored.delete_item(TableName=RESTORED, Key={"PK": profile["PK"], "SK": profile["SK"]})
    out = io.StringIO()
    assert verify(restored, "cis-test", RESTORED, out) == 1
    rows = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines()}
    assert rows["customer"] == ["1", "0", "-1"]
    assert rows["IDEMPOTENCY"] == ["1", "1"]
    assert "differs" in out.getvalue()
