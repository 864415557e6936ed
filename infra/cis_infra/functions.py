"""One Lambda function per `cis.topology.FUNCTIONS` entry, each with its own role and log group,
published as a version behind an alias (`startup.ALIAS`): SnapStart or provisioned concurrency,
and reserved concurrency, as `startup.startup_plan` says.

What invokes them is added elsewhere, always through the alias (`aliases`): API routes (`api`),
the table stream (`streams`), schedules (`jobs`), queues (`event_queues`); what the functions
themselves may do is granted on the function (`functions`): the bus (`events`), sending (`senders`);
and what the API functions may not, writing the audit trail, denied there too (`audit_trail`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cis.topology import FUNCTIONS, TABLE, Function
from constructs import Construct

from cis_infra.nag import SERVERLESS, acknowledge
from cis_infra.paths import ASSET_EXCLUDES, CIS_LAYER_DIR, deps_layer_dir, function_dir
from cis_infra.startup import ALIAS, Startup

# Not PYTHON_3_14 although this CDK knows it: `make layer` builds the dependency layer from cp313 wheels.
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

GRANTS: dict[str, Callable[[dynamodb.Table, iam.IGrantable], object] | None] = {
    "none": None,
    "read": dynamodb.Table.grant_read_data,
    "read_write": dynamodb.Table.grant_read_write_data,
}


def pascal_case(name: str) -> str:
    """customers_api -> CustomersApi: the topology name, spelled the way CDK ids usually are."""
    return "".join(part.title() for part in name.split("_"))


class ApiFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.Table,
        key: kms.IKey,
        settings: dict[str, str],
        startup: dict[str, Startup],
        api_settings: Mapping[str, str] | None = None,
    ) -> None:
        """`settings` go to every function; `api_settings` to the functions with routes only (the pools'
        issuers: a Cognito trigger cannot take its own pool's, as the pool names the trigger's alias)."""
        super().__init__(scope, construct_id)
        self._table, self._key, self._settings, self._startup = table, key, settings, startup
        self._api_settings = dict(api_settings or {})
        layer_options = {"compatible_runtimes": [RUNTIME], "compatible_architectures": [ARCHITECTURE]}
        self.layers = [
            lambda_.LayerVersion(
                self,
                "DepsLayer",
                code=lambda_.Code.from_asset(str(deps_layer_dir()), exclude=ASSET_EXCLUDES),
                description="CIS third-party dependencies (arm64, Python 3.13)",
                **layer_options,
            ),
            lambda_.LayerVersion(
                self,
                "CisLayer",
                code=lambda_.Code.from_asset(str(CIS_LAYER_DIR), exclude=ASSET_EXCLUDES),
                description="CIS shared package: domain, repository, API helpers",
                **layer_options,
            ),
        ]
        self.by_name: dict[str, lambda_.Function] = {spec.name: self._function(spec) for spec in FUNCTIONS}
        # What invokers name: the alias of the version this deploy published, never the function itself.
        self.aliases: dict[str, lambda_.Alias] = {spec.name: self._alias(spec) for spec in FUNCTIONS}

    def _function(self, spec: Function) -> lambda_.Function:
        cid = pascal_case(spec.name)
        grant = GRANTS[spec.table_access]  # KeyError: a table_access the topology should not use
        if spec.uses_idempotency and spec.table_access != "read_write":
            raise ValueError(f"{spec.name} uses idempotency, which writes records to the table: it needs read_write")

        # An explicit role instead of the default one: no AWS managed policy, logs only to its own group.
        role = iam.Role(
            self,
            f"{cid}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"CIS {spec.name}: its log group, X-Ray, table access '{spec.table_access}'",
        )
        log_group = logs.LogGroup(
            self,
            f"{cid}Logs",
            retention=LOG_RETENTION,
            encryption_key=self._key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        log_group.grant_write(role)

        environment = {
            "POWERTOOLS_SERVICE_NAME": "cis",
            "POWERTOOLS_METRICS_NAMESPACE": "CIS",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **self._settings,
            **(self._api_settings if spec.routes else {}),
        }
        if grant is not None:
            environment["TABLE_NAME"] = self._table.table_name

        startup = self._startup[spec.name]
        function = lambda_.Function(
            self,
            cid,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler="handler.handler",
            code=lambda_.Code.from_asset(str(function_dir(spec.name)), exclude=ASSET_EXCLUDES),
            layers=self.layers,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            tracing=lambda_.Tracing.ACTIVE,
            role=role,
            log_group=log_group,
            environment=environment,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if startup.snap_start else None,
            reserved_concurrent_executions=startup.reserved,
            # A deploy that publishes a new version deletes the one it replaces (CDK would keep it): a
            # version with SnapStart is charged for its cached snapshot for as long as it exists.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
        )
        if startup.snap_start:
            Annotations.of(function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                f"Every deploy publishes a version (current_version) and points the '{ALIAS}' alias at it.",
            )
        if grant is not None:
            grant(self._table, function)
        self._acknowledge(spec, role, function)
        return function

    def _alias(self, spec: Function) -> lambda_.Alias:
        function, startup = self.by_name[spec.name], self._startup[spec.name]
        return lambda_.Alias(
            self,
            f"{pascal_case(spec.name)}Alias",
            alias_name=ALIAS,
            version=function.current_version,
            description=f"What invokes {spec.name}: its version published by the latest deploy",
            provisioned_concurrent_executions=startup.provisioned,
        )

    def _acknowledge(self, spec: Function, role: iam.Role, function: lambda_.Function) -> None:
        # One reason per finding id and scope (a second acknowledgement replaces the first), so each reason
        # names every grant behind the finding, including those `streams.TableStreamReaders` adds to the role.
        pinned = "Pinned to Python 3.13: the dependency layer is built from cp313 wheels (pydantic-core is compiled)."
        acknowledge(function, "L1", pinned)
        acknowledge(function, "LambdaLatestVersion", pinned, pack=SERVERLESS)
        # DeadLetterConfig only ever receives asynchronous invocations; say how each of this function's
        # invokers keeps what failed. A function nothing invokes gets no acknowledgement, so it is reported.
        invoked = []
        if spec.routes:
            invoked.append("API Gateway invokes it synchronously (proxy integration): the caller gets the error.")
        if spec.reads_table_stream:
            invoked.append(
                "Its table-stream event source mapping invokes it synchronously and sends failed batches to the "
                "mapping's on-failure destination, a dead-letter queue."
            )
        if spec.queue is not None:
            invoked.append(
                "Its SQS event source mapping invokes it synchronously; messages it fails go to the queue's "
                "dead-letter queue through the redrive policy."
            )
        if spec.work is not None:
            invoked.append(
                "Its work queue's SQS event source mapping invokes it synchronously; messages it fails go to the "
                "queue's dead-letter queue through the redrive policy."
            )
        if spec.cognito_triggers:
            invoked.append(
                f"The customer user pool invokes it synchronously as its {' and '.join(spec.cognito_triggers)} "
                "trigger: Cognito returns its error to the sign-up or sign-in step that triggered it."
            )
        if spec.schedule is not None:
            invoked.append(
                "The scheduler and its continuation rule invoke it asynchronously: starts that fail every attempt go "
                "to the job's dead-letter queue as the on-failure destination (EventInvokeConfig), which AWS "
                "recommends over DeadLetterConfig."
            )
        if invoked:
            acknowledge(function, "LambdaDLQ", " ".join(invoked), pack=SERVERLESS)
        wildcard = [
            "Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level "
            "permissions, so AWS requires Resource '*' for them."
        ]
        if spec.reads_table_stream:
            wildcard.append(
                "Its table-stream event source (Table.grant_stream_read) adds dynamodb:ListStreams, a List action "
                "with no resource type in the Service Authorization Reference, so Resource '*'; it returns stream "
                "ARNs, not records (reading records takes GetRecords, granted on this table's stream ARN)."
            )
        acknowledge(role, "IAM5[Resource::*]", " ".join(wildcard))

        if spec.table_access != "none" and TABLE.indexes:
            table_id = Stack.of(self).resolve(self._table.table_arn)["Fn::GetAtt"][0]  # its logical id
            acknowledge(
                role,
                f"IAM5[Resource::<{table_id}.Arn>/index/*]",
                "Table.grant_* names the table's indexes as <table ARN>/index/*: any GSI of this one table "
                "(the topology's indexes), no other table.",
            )
        key_grants = []
        if spec.table_access == "read_write":
            key_grants.append("Table.grant_read_write_data")
        if spec.reads_table_stream:
            key_grants.append("Queue.grant_send_messages (its stream's dead-letter queue, through the event source)")
        if spec.schedule is not None:
            key_grants.append("Queue.grant_send_messages (its job's dead-letter queue, the on-failure destination)")
        for action in ("kms:ReEncrypt*", "kms:GenerateDataKey*") if key_grants else ():
            acknowledge(
                role,
                f"IAM5[Action::{action}]",
                f"{' and '.join(key_grants)} on a customer-managed key: the ReEncrypt/GenerateDataKey action "
                "families, on this stack's one key only (Resource is the key ARN).",
            )
