"""Only the stream processor writes the audit trail: every API function's role is denied writes to its keys."""

from __future__ import annotations

import pytest
from cis.repository.keys import AUDIT_PREFIX, audit_key
from cis.topology import FUNCTIONS, STREAM_PROCESSOR

from .conftest import function_ids
from .test_stack import WRITE_ACTIONS, arn, as_list, role_statements

pytestmark = pytest.mark.slow

API = [spec for spec in FUNCTIONS if spec.routes]


def audit_denials(statements: list[dict]) -> list[dict]:
    return [s for s in statements if s["Effect"] == "Deny" and "dynamodb:LeadingKeys" in str(s.get("Condition"))]


def test_audit_entries_have_a_partition_key_space_of_their_own():
    assert audit_key("01ABC", "2026-12-01T05:00:00.000000Z", "change-1")["PK"] == {"S": f"{AUDIT_PREFIX}01ABC"}
    assert not AUDIT_PREFIX.startswith("CUST#")  # else a grant on the customer's partition would reach it


def test_every_api_function_role_is_denied_writing_audit_items(synthesized):
    ids = function_ids(synthesized)
    (table_id, _) = synthesized.only("AWS::DynamoDB::Table")
    assert API and STREAM_PROCESSOR not in API
    for spec in API:
        [denial] = audit_denials(role_statements(synthesized, ids[spec.name]))
        assert set(as_list(denial["Action"])) == WRITE_ACTIONS, spec.name
        assert as_list(denial["Resource"]) == [arn(table_id)], spec.name
        (condition,) = denial["Condition"].items()
        assert condition[0] == "ForAnyValue:StringLike", spec.name  # any item of a batch in the trail
        assert as_list(condition[1]["dynamodb:LeadingKeys"]) == [f"{AUDIT_PREFIX}*"], spec.name


def test_the_stream_processor_may_write_the_audit_trail(synthesized):
    statements = role_statements(synthesized, function_ids(synthesized)[STREAM_PROCESSOR.name])
    assert audit_denials(statements) == []
    allowed = {a for s in statements if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    assert {"dynamodb:PutItem", "dynamodb:BatchWriteItem"} <= allowed
