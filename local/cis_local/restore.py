"""`cis restore`: bring the deployed table back from a backup into a new table, check it, switch to it.

`STEPS` is what `cis restore --help` prints for a deployed stack; `cis restore verify` is its second step.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from cis.topology import STREAM_PROCESSOR, TABLE

# The stack's outputs name the table, the vault and the role AWS Backup restores with (cis_infra.stack).
STEPS = f"""\
Restore the deployed table (stack Cis) to a new table, check it, then switch.

0. Names (the stack's outputs) and the project's key (the table's encryption key):
     out() {{ aws cloudformation describe-stacks --stack-name Cis \\
       --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text; }}
     TABLE=$(out TableName); RESTORED="$TABLE-restored"
     KEY=$(aws dynamodb describe-table --table-name "$TABLE" \\
       --query Table.SSEDescription.KMSMasterKeyArn --output text)

1. Restore into a new table, encrypted with the same key. Any second of the last 35 days (point-in-
   time recovery): the moment to return to, in UTC, or --use-latest-restorable-time for the latest:
     aws dynamodb restore-table-to-point-in-time \\
       --source-table-name "$TABLE" --target-table-name "$RESTORED" \\
       --restore-date-time 2026-12-01T04:00:00Z \\
       --billing-mode-override PAY_PER_REQUEST \\
       --sse-specification-override Enabled=true,SSEType=KMS,KMSMasterKeyId="$KEY"
   Older than 35 days: from the backup plan's vault (daily backups for 35 days, monthly for 365):
     aws backup list-recovery-points-by-backup-vault --backup-vault-name "$(out BackupVaultName)" \\
       --query "RecoveryPoints[].[CreationDate,RecoveryPointArn]" --output text
     aws backup start-restore-job --resource-type DynamoDB --iam-role-arn "$(out BackupRoleArn)" \\
       --recovery-point-arn <RecoveryPointArn> \\
       --metadata TargetTableName="$RESTORED",encryptionType=KMS,kmsMasterKeyArn="$KEY"
   Then wait until it is ACTIVE (a large table takes hours; run the wait again if it gives up):
     aws dynamodb wait table-exists --table-name "$RESTORED"

2. Verify: count the items of each kind in both tables and compare (two full scans: every item is
   read once in each). Differences are what changed in $TABLE since the restore point, or what the
   restore lacks; the exit status is 1 when any count differs:
     cis restore verify --source "$TABLE" --target "$RESTORED"

3. Switch. The functions do not look the table up: CDK gives each one TABLE_NAME from the stack's
   own table, and the same table's ARN is in every function's IAM grants, the stream's event source
   mapping (the stream processor: audit trail, events, duplicates) and the backup selection. With
   TABLE_NAME set to "$RESTORED", IAM would refuse a function's requests; and setting it changes
   only $LATEST, not the published version the 'live' alias runs. So, either:
   a. Put back what was lost or damaged (the usual case): copy those items from "$RESTORED" into
      "$TABLE" (aws dynamodb get-item --table-name "$RESTORED" --key ..., then put-item into
      "$TABLE"). The stream sees them as any write: the stream processor audits and announces
      those of the kinds it follows ({", ".join(STREAM_PROCESSOR.stream_entities)}).
   b. Replace the whole table: adopt "$RESTORED" as the stack's table with a CloudFormation resource
      import (cdk import), after enabling on it what a restore does not copy: the stream
      ({TABLE.stream}), TTL on '{TABLE.ttl_attribute}', point-in-time recovery, deletion
      protection and tags. infra/cis_infra/data.py does not script this yet.
   A restored table holds again whatever was erased after its restore point: erase those people
   again before it serves anyone. Then delete the table you no longer need.
"""


def kind_of(item: dict) -> str:
    """An item's kind: its `entity`, or for items without one (idempotency records, merge steps) the
    first part of its partition key."""
    if "entity" in item:
        return item["entity"]["S"]
    return item[TABLE.partition_key]["S"].split("#", 1)[0]


def count_by_kind(client, table: str) -> Counter[str]:
    """How many items of each kind the table holds: one Scan reading only what names the kind.
    Scan with Select=COUNT costs as much (capacity is by the size of the items read, not returned)
    and counts only the total."""
    counts: Counter[str] = Counter()
    request = {
        "TableName": table,
        "ProjectionExpression": "#pk, #entity",
        "ExpressionAttributeNames": {"#pk": TABLE.partition_key, "#entity": "entity"},
    }
    for page in client.get_paginator("scan").paginate(**request):
        counts.update(kind_of(item) for item in page["Items"])
    return counts


def verify(client, source: str, target: str, out: TextIO) -> int:
    """Print each kind's count in both tables; 0 when every count agrees, 1 otherwise."""
    before, after = count_by_kind(client, source), count_by_kind(client, target)
    rows = [(kind, before[kind], after[kind]) for kind in sorted(before | after)]
    rows.append(("total", before.total(), after.total()))
    width = max(len(kind) for kind, _, _ in [("kind", 0, 0), *rows])
    out.write(f"{'kind':<{width}}  {'source':>10}  {'target':>10}  difference\n")
    for kind, in_source, in_target in rows:
        difference = f"{in_target - in_source:+d}" if in_target != in_source else ""
        out.write(f"{kind:<{width}}  {in_source:>10}  {in_target:>10}  {difference:>10}\n")
    if before != after:
        out.write(f"{target} differs from {source}: changes since the restore point, or what the restore lacks\n")
        return 1
    out.write(f"{target} holds as many items of each kind as {source}\n")
    return 0
