"""The audit trail is the stream processor's to write: every API function's role is denied writes to it.

Audit entries have a partition key space of their own (`cis.repository.keys.AUDIT_PREFIX`), because
IAM's `dynamodb:LeadingKeys` sees only partition keys. An explicit Deny wins over every Allow, so a
route's function cannot put, update or delete an entry however its table grant grows; transactions
are authorized as their single-item actions, so they are covered too.
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cis.repository.keys import AUDIT_PREFIX
from cis.topology import FUNCTIONS

WRITE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]


def audit_write_denial(table: dynamodb.ITable) -> iam.PolicyStatement:
    """Deny item writes to the table when any partition key of the request is an audit trail's."""
    return iam.PolicyStatement(
        effect=iam.Effect.DENY,
        actions=WRITE_ACTIONS,
        resources=[table.table_arn],
        conditions={"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": [f"{AUDIT_PREFIX}*"]}},
    )


def deny_audit_writes_to_api_functions(functions: dict[str, lambda_.Function], table: dynamodb.ITable) -> None:
    """Every function with routes, table access or not: a grant added later cannot reach the trail."""
    for spec in FUNCTIONS:
        if spec.routes:
            functions[spec.name].add_to_role_policy(audit_write_denial(table))
