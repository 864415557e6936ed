"""AWS Backup for the customer table: a daily and a monthly backup, kept in a vault under the project's key.

Point-in-time recovery (on the table, `data`) covers the last 35 days to the second; these backups
reach further back at a coarser grain. Their retention bounds how long erased data survives in
backups: the README's "Backups and restore" states it, and the retentions here must stay what it says.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_backup as backup
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cis_infra.nag import acknowledge

DAILY_DAYS = 35  # as long as point-in-time recovery reaches back
MONTHLY_DAYS = 365  # the longest any backup keeps the table: erased data is gone from backups after it
BACKUP_HOUR_UTC = 3  # night in Europe and the Americas


class TableBackups(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, table: dynamodb.ITable, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.vault = backup.BackupVault(
            self,
            "Vault",
            encryption_key=key,
            # Recovery points leave only by the plan's lifecycle: no one shortens or deletes them by hand.
            block_recovery_point_deletion=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.plan = backup.BackupPlan(
            self,
            "Plan",
            backup_vault=self.vault,
            backup_plan_rules=[
                backup.BackupPlanRule(
                    rule_name="Daily",
                    schedule_expression=events.Schedule.cron(minute="0", hour=str(BACKUP_HOUR_UTC)),
                    delete_after=Duration.days(DAILY_DAYS),
                ),
                backup.BackupPlanRule(
                    rule_name="Monthly",
                    schedule_expression=events.Schedule.cron(minute="0", hour=str(BACKUP_HOUR_UTC), day="1"),
                    delete_after=Duration.days(MONTHLY_DAYS),  # no cold storage: DynamoDB needs advanced backup
                ),
            ],
        )
        # The role AWS Backup backs up and restores with: `cis restore --help` hands it to start-restore-job.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            description="CIS: AWS Backup backs the customer table up, and restores it, with this role",
        )
        self.plan.add_selection(
            "Table", resources=[backup.BackupResource.from_arn(table.table_arn)], role=self.role, allow_restores=True
        )
        for policy in ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"):
            acknowledge(
                self.role,
                f"IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/{policy}]",
                "AWS Backup's own service-role policies, which AWS keeps current with the backup and restore "
                "APIs; only backup.amazonaws.com assumes the role, and the plan's one selection is this table.",
            )
