"""The CIS stack: data and backups, staff and customer sign-in, functions, API and its firewall, stream readers
and event bus, from `cis.topology`."""

from __future__ import annotations

import json
import re
from typing import Any
from zoneinfo import ZoneInfo

from aws_cdk import CfnOutput, Stack
from cis.domain.churn import parse_rules
from cis.domain.retention import parse_retention
from cis.domain.subscriptions import parse_lead_times
from constructs import Construct
from email_validator import EmailNotValidError, validate_email

from cis_infra.api import StaffApi
from cis_infra.audit_trail import deny_audit_writes_to_api_functions
from cis_infra.auth import StaffDirectory, issuer
from cis_infra.backups import TableBackups
from cis_infra.customer_auth import CustomerDirectory
from cis_infra.data import DataStore
from cis_infra.event_queues import EventQueues
from cis_infra.events import DomainEvents
from cis_infra.firewall import ApiFirewall
from cis_infra.functions import ApiFunctions
from cis_infra.jobs import ScheduledJobs
from cis_infra.push import PushNotifications
from cis_infra.senders import Senders
from cis_infra.startup import startup_plan
from cis_infra.streams import TableStreamReaders
from cis_infra.unsubscribe import UnsubscribeLinks
from cis_infra.uploads import Uploads

PHONE_REGION_CONTEXT = "defaultPhoneRegion"
LEAD_DAYS_CONTEXT = "reminderLeadDays"
TIME_ZONE_CONTEXT = "businessTimeZone"
SENDER_CONTEXT = "senderEmail"
CHURN_RULES_CONTEXT = "churnRules"
KEEP_ORDERS_CONTEXT = "erasureKeepsOrders"
RETENTION_CONTEXT = "retention"


def default_phone_region(scope: Construct) -> str:
    """The region phone numbers without a country code are read in: `cdk synth -c defaultPhoneRegion=GB`."""
    region = str(scope.node.try_get_context(PHONE_REGION_CONTEXT) or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", region):
        raise ValueError(f"context {PHONE_REGION_CONTEXT} must be an ISO 3166 alpha-2 code, got {region!r}")
    return region


def settings_environment(scope: Construct) -> dict[str, str]:
    """Settings every function reads (cis.config), from cdk.json's context, checked before anything deploys."""
    lead_days = scope.node.try_get_context(LEAD_DAYS_CONTEXT) or {"*": [30, 7, 1]}
    if isinstance(lead_days, str):  # -c reminderLeadDays='{"*": [30, 7, 1]}' on the command line
        lead_days = json.loads(lead_days)
    parse_lead_times(lead_days)  # ValueError names what is wrong
    zone = str(scope.node.try_get_context(TIME_ZONE_CONTEXT) or "UTC")
    ZoneInfo(zone)  # an unknown zone fails the synth, not the first job run
    sender = str(scope.node.try_get_context(SENDER_CONTEXT) or "reminders@example.com")
    try:
        sender = validate_email(sender, check_deliverability=False).normalized
    except EmailNotValidError as invalid:
        raise ValueError(f"context {SENDER_CONTEXT} must be the address reminders come from: {invalid}") from None
    churn_rules = scope.node.try_get_context(CHURN_RULES_CONTEXT) or {}
    try:
        rules = parse_rules(churn_rules)  # a wrong weight or threshold fails the synth, naming the field
    except ValueError as invalid:
        raise ValueError(f"context {CHURN_RULES_CONTEXT} is not valid: {invalid}") from None
    keep_orders = scope.node.try_get_context(KEEP_ORDERS_CONTEXT)
    keep_orders = True if keep_orders is None else keep_orders
    if str(keep_orders).lower() not in ("true", "false"):
        raise ValueError(f"context {KEEP_ORDERS_CONTEXT} must be true or false, not {keep_orders!r}")
    try:
        retention = parse_retention(scope.node.try_get_context(RETENTION_CONTEXT) or {})
    except ValueError as invalid:  # an unknown kind or a day count below 1 fails the synth, naming the field
        raise ValueError(f"context {RETENTION_CONTEXT} is not valid: {invalid}") from None
    return {
        "CIS_RETENTION": retention.model_dump_json(),
        "CIS_ERASURE_KEEPS_ORDERS": str(keep_orders).lower(),
        "CIS_DEFAULT_PHONE_REGION": default_phone_region(scope),
        "CIS_CHURN_RULES": rules.model_dump_json(),
        "CIS_REMINDER_LEAD_DAYS": json.dumps(lead_days, separators=(",", ":")),
        "CIS_BUSINESS_TIME_ZONE": zone,
        "CIS_SENDER_EMAIL": sender,
    }


class CisStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = settings_environment(self)

        data = DataStore(self, "Data")
        backups = TableBackups(self, "Backups", table=data.table, key=data.key)
        staff = StaffDirectory(self, "Staff")
        customers = CustomerDirectory(self, "Customers")
        startup = startup_plan(self)  # before anything is built: a refused combination fails fast
        functions = ApiFunctions(
            self,
            "Functions",
            table=data.table,
            key=data.key,
            settings=settings,
            startup=startup,
            # Which pool signed a token: the handlers' gate keeps customers to their routes and staff to theirs.
            api_settings={
                "CIS_STAFF_ISSUER": issuer(staff.user_pool),
                "CIS_CUSTOMER_ISSUER": issuer(customers.user_pool),
            },
        )
        customers.attach_triggers(functions.aliases)
        # Granting to a function: its role. Invoking one: its alias, never the unpublished function.
        deny_audit_writes_to_api_functions(functions.by_name, data.table)
        domain_events = DomainEvents(self, "Events", functions=functions.by_name)
        TableStreamReaders(self, "Streams", functions=functions.aliases, table=data.table, key=data.key)
        ScheduledJobs(
            self,
            "Jobs",
            functions=functions.aliases,
            bus=domain_events.bus,
            key=data.key,
            time_zone=settings["CIS_BUSINESS_TIME_ZONE"],
        )
        EventQueues(self, "Queues", functions=functions.aliases, bus=domain_events.bus, key=data.key)
        Uploads(self, "Uploads", functions=functions.by_name, aliases=functions.aliases, key=data.key)
        push = PushNotifications(self, "Push", functions=functions.by_name)
        Senders(
            self,
            "Senders",
            functions=functions.by_name,
            sender_email=settings["CIS_SENDER_EMAIL"],
            pushes=bool(push.applications),
        )
        api = StaffApi(
            self,
            "Api",
            functions=functions.aliases,
            staff_pool=staff.user_pool,
            customer_pool=customers.user_pool,
            key=data.key,
        )
        ApiFirewall(self, "Firewall", stage=api.rest_api.deployment_stage)
        UnsubscribeLinks(self, "Unsubscribe", functions=functions.by_name, api_url=api.rest_api.url)

        CfnOutput(self, "ApiUrl", value=api.rest_api.url, description="Base URL; routes start with /v1")
        CfnOutput(self, "UserPoolId", value=staff.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=staff.client.user_pool_client_id)
        CfnOutput(self, "CustomerUserPoolId", value=customers.user_pool.user_pool_id)
        CfnOutput(self, "CustomerWebClientId", value=customers.web_client.user_pool_client_id)
        CfnOutput(self, "CustomerMobileClientId", value=customers.mobile_client.user_pool_client_id)
        CfnOutput(
            self,
            "CustomerSignInUrl",
            value=customers.domain.base_url(),
            description="The customer pool's hosted UI (managed login): /oauth2/authorize, /oauth2/token, /logout",
        )
        CfnOutput(self, "TableName", value=data.table.table_name)
        CfnOutput(self, "EventBusName", value=domain_events.bus.event_bus_name)
        # What `cis restore --help` restores from and with.
        CfnOutput(self, "BackupVaultName", value=backups.vault.backup_vault_name)
        CfnOutput(self, "BackupRoleArn", value=backups.role.role_arn)
