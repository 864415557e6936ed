"""The table's backups: a daily and a monthly rule, in a vault under the project's key, selecting the table."""

from __future__ import annotations

import pytest
from cis_infra.backups import DAILY_DAYS, MONTHLY_DAYS

from .conftest import data_key, references

pytestmark = pytest.mark.slow


def test_the_plan_keeps_daily_backups_35_days_and_monthly_ones_a_year(synthesized):
    (_, plan) = synthesized.only("AWS::Backup::BackupPlan")
    rules = {rule["RuleName"]: rule for rule in plan["BackupPlan"]["BackupPlanRule"]}
    assert set(rules) == {"Daily", "Monthly"}
    assert (DAILY_DAYS, MONTHLY_DAYS) == (35, 365)  # what the README's "Backups and restore" promises
    assert rules["Daily"]["Lifecycle"] == {"DeleteAfterDays": 35}
    assert rules["Monthly"]["Lifecycle"] == {"DeleteAfterDays": 365}
    assert rules["Daily"]["ScheduleExpression"].endswith(" * * ? *)")  # every day
    assert rules["Monthly"]["ScheduleExpression"].endswith(" 1 * ? *)")  # the first of each month


def test_backups_go_to_a_vault_encrypted_with_the_projects_key_that_nobody_can_empty_early(synthesized):
    (key_id, _) = data_key(synthesized)
    (vault_id, vault) = synthesized.only("AWS::Backup::BackupVault")
    (_, plan) = synthesized.only("AWS::Backup::BackupPlan")
    assert vault["EncryptionKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    for rule in plan["BackupPlan"]["BackupPlanRule"]:
        assert references(rule["TargetBackupVault"]) == {vault_id}
    [denial] = [s for s in vault["AccessPolicy"]["Statement"] if s["Effect"] == "Deny"]
    assert "backup:DeleteRecoveryPoint" in denial["Action"]
    assert synthesized.template["Resources"][vault_id]["DeletionPolicy"] == "Retain"


def test_the_selection_names_the_table_by_its_arn(synthesized):
    (table_id, _) = synthesized.only("AWS::DynamoDB::Table")
    (plan_id, _) = synthesized.only("AWS::Backup::BackupPlan")
    (_, selection) = synthesized.only("AWS::Backup::BackupSelection")
    assert selection["BackupPlanId"] == {"Fn::GetAtt": [plan_id, "BackupPlanId"]}
    assert selection["BackupSelection"]["Resources"] == [{"Fn::GetAtt": [table_id, "Arn"]}]
    role_id = selection["BackupSelection"]["IamRoleArn"]["Fn::GetAtt"][0]
    role = synthesized.template["Resources"][role_id]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    # `cis restore --help` restores from the vault with the same role: both are stack outputs.
    outputs = synthesized.template["Outputs"]
    (vault_id, _) = synthesized.only("AWS::Backup::BackupVault")
    assert references(outputs["BackupVaultName"]["Value"]) == {vault_id}
    assert references(outputs["BackupRoleArn"]["Value"]) == {role_id}
    policies = str(role["ManagedPolicyArns"])
    assert "AWSBackupServiceRolePolicyForBackup" in policies and "AWSBackupServiceRolePolicyForRestores" in policies
