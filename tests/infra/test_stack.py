"""The synthesized CIS stack: what it promises about data, access, functions and errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template
from cfnlint.api import ManualArgs, lint_file
from cis.api.errors import GATEWAY_RESPONSES
from cis.topology import FUNCTIONS, TABLE, Role
from cis_infra.api import vtl_literal
from cis_infra.build import attach_nag
from cis_infra.data import stream_view_type
from cis_infra.nag import acknowledge, findings
from cis_infra.stack import default_phone_region, settings_environment
from cis_infra.startup import default_reservation
from cis_local.table import table_definition

from .conftest import ROOT, Synthesized, alias_ids, data_key, function_ids, invoked, link_key

pytestmark = pytest.mark.slow

ROUTES = {(route.method, route.path): route for function in FUNCTIONS for route in function.routes}
READ_ACTIONS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"}
WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
STREAM_READERS = [spec for spec in FUNCTIONS if spec.reads_table_stream]
QUEUE_FED = [spec for spec in FUNCTIONS if spec.queue is not None]
WORK_FED = [spec for spec in FUNCTIONS if spec.work is not None]
# CDK's own function behind the bucket's notification settings (a custom resource), not one of ours.
CDK_HANDLERS = 1 if WORK_FED else 0
JOBS = [spec for spec in FUNCTIONS if spec.schedule is not None]
SEND_ACTIONS = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
MAC_ACTIONS = {"sign": "kms:GenerateMac", "verify": "kms:VerifyMac", "none": None}
CONSUME_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}


def arn(logical_id: str) -> dict:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def role_statements(stack: Synthesized, function_id: str) -> list[dict]:
    role_id = stack.template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in stack.properties("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Roles"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def resource_paths(stack: Synthesized) -> dict[str, str]:
    """API Gateway resource logical id -> its full path, rebuilt from the ParentId chain."""
    resources = stack.properties("AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        parent = resources[logical_id]["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""  # otherwise the API's root resource
        return f"{prefix}/{resources[logical_id]['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in resources}


def methods(stack: Synthesized) -> dict[tuple[str, str], dict]:
    paths = resource_paths(stack)
    return {
        (m["HttpMethod"], paths[m["ResourceId"]["Ref"]]): m
        for m in stack.properties("AWS::ApiGateway::Method").values()
    }


def event_source_mappings(stack: Synthesized, stream: bool = True) -> dict[str, dict]:
    """Topology function name -> its table-stream event source mapping (each stream reader has exactly
    one), or with stream=False its SQS one (each queue-fed function has exactly one)."""
    mappings = [
        mapping
        for mapping in stack.properties("AWS::Lambda::EventSourceMapping").values()
        if ("StartingPosition" in mapping) == stream
    ]
    by_name = {invoked(stack, mapping["FunctionName"]): mapping for mapping in mappings}  # through the alias
    assert len(by_name) == len(mappings)
    return by_name


def dead_letter_queues(stack: Synthesized) -> dict[str, str]:
    """Stream reader name -> logical id of the queue its event source mapping sends failed batches to."""
    return {
        name: mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        for name, mapping in event_source_mappings(stack).items()
    }


def test_table_is_encrypted_with_customer_managed_kms_key_and_has_pitr_and_deletion_protection(synthesized):
    template = Template.from_json(synthesized.template)
    key_id, _ = data_key(synthesized)
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": arn(key_id)},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "DeletionProtectionEnabled": True,
                "BillingMode": "PAY_PER_REQUEST",
            },
        },
    )


def test_table_keys_indexes_and_ttl_match_the_table_the_local_runtime_creates(synthesized):
    _, table = synthesized.only("AWS::DynamoDB::Table")
    local = table_definition("any")
    assert table["KeySchema"] == local["KeySchema"]
    assert table.get("GlobalSecondaryIndexes", []) == local["GlobalSecondaryIndexes"]
    assert len(local["GlobalSecondaryIndexes"]) == len(TABLE.indexes)
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(local["AttributeDefinitions"], key=str)
    assert table["TimeToLiveSpecification"] == {"AttributeName": TABLE.ttl_attribute, "Enabled": True}


def test_table_has_a_stream_with_the_view_type_the_topology_declares(synthesized):
    _, table = synthesized.only("AWS::DynamoDB::Table")
    assert table["StreamSpecification"] == {"StreamViewType": TABLE.stream}


def test_a_stream_view_type_cdk_does_not_know_is_refused():
    assert stream_view_type("NEW_AND_OLD_IMAGES") == dynamodb.StreamViewType.NEW_AND_OLD_IMAGES
    with pytest.raises(ValueError, match=r"TABLE\.stream"):
        stream_view_type("NEW_AND_OLD")


def user_pools(stack: Synthesized) -> tuple[str, str]:
    """(staff pool, customer pool) logical ids: staff accounts are admin-created, customers sign themselves up."""
    pools = stack.properties("AWS::Cognito::UserPool")
    (staff,) = [name for name, p in pools.items() if p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]]
    (customer,) = [name for name, p in pools.items() if not p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"]]
    return staff, customer


def test_staff_routes_use_the_staff_authorizer_and_customer_routes_the_customer_authorizer(synthesized):
    staff_pool, customer_pool = user_pools(synthesized)
    authorizers = synthesized.properties("AWS::ApiGateway::Authorizer")
    assert all(authorizer["Type"] == "COGNITO_USER_POOLS" for authorizer in authorizers.values())
    # Both take both pools' tokens (the handlers answer a token of the wrong pool 403), their own pool first.
    by_first_pool = {a["ProviderARNs"][0]["Fn::GetAtt"][0]: name for name, a in authorizers.items()}
    staff_authorizer, customer_authorizer = by_first_pool[staff_pool], by_first_pool[customer_pool]
    assert authorizers[staff_authorizer]["ProviderARNs"] == [arn(staff_pool), arn(customer_pool)]
    assert authorizers[customer_authorizer]["ProviderARNs"] == [arn(customer_pool), arn(staff_pool)]
    assert len(authorizers) == 2

    deployed = methods(synthesized)
    assert set(deployed) == set(ROUTES)  # nothing undeclared, no OPTIONS: the API sets no CORS
    customer_routes = [key for key, route in ROUTES.items() if route.customer]
    staff_routes = [key for key, route in ROUTES.items() if route.roles]
    assert customer_routes and staff_routes  # otherwise this test proves less than it says
    for key, route in ROUTES.items():
        method = deployed[key]
        if not route.signed_in:  # public, or signed (the unsubscribe links): the function checks the token
            assert method["AuthorizationType"] == "NONE", key
            assert "AuthorizerId" not in method, key
        else:
            assert method["AuthorizationType"] == "COGNITO_USER_POOLS", key
            expected = customer_authorizer if key in customer_routes else staff_authorizer
            assert method["AuthorizerId"] == {"Ref": expected}, key
    assert not [key for key in customer_routes if ROUTES[key].roles]  # a customer route takes no staff role


def test_unsubscribe_links_are_signed_by_an_hmac_key_the_notifier_signs_with_and_the_unsubscribe_function_checks(
    synthesized,
):
    signed = [key for key, route in ROUTES.items() if route.signed]
    assert signed == [("GET", "/v1/unsubscribe"), ("POST", "/v1/unsubscribe")]
    deployed = methods(synthesized)
    assert [(deployed[key]["AuthorizationType"], "AuthorizerId" in deployed[key]) for key in signed] == [
        ("NONE", False),
        ("NONE", False),
    ]
    mac_key_id, mac_key = link_key(synthesized)
    assert mac_key["KeyUsage"] == "GENERATE_VERIFY_MAC"
    assert synthesized.template["Resources"][mac_key_id]["DeletionPolicy"] == "Retain"
    ids = function_ids(synthesized)
    environments = {
        name: synthesized.template["Resources"][ids[name]]["Properties"]["Environment"]["Variables"] for name in ids
    }
    holders = {name for name, variables in environments.items() if "CIS_UNSUBSCRIBE_KEY_ID" in variables}
    assert holders == {"notifier", "unsubscribe_api"}
    assert all(environments[name]["CIS_UNSUBSCRIBE_KEY_ID"] == arn(mac_key_id) for name in holders)
    # The notifier's links point at the stage's URL: the RestApi, its region and the stage.
    (rest_api_id, _) = synthesized.only("AWS::ApiGateway::RestApi")
    assert rest_api_id in json.dumps(environments["notifier"]["CIS_PUBLIC_API_URL"])
    assert "CIS_PUBLIC_API_URL" not in environments["unsubscribe_api"]


def test_a_signed_route_on_a_function_that_cannot_verify_links_is_refused(monkeypatch):
    from cis import topology
    from cis_infra.unsubscribe import UnsubscribeLinks

    unverified = topology.UNSUBSCRIBE_API._replace(link_key="none")
    monkeypatch.setattr(topology, "FUNCTIONS", (unverified,))
    monkeypatch.setattr("cis_infra.unsubscribe.FUNCTIONS", (unverified,))
    with pytest.raises(ValueError, match="serves signed routes but may not verify links"):
        UnsubscribeLinks(Stack(App(), "S"), "Unsubscribe", functions={}, api_url="https://x")


def test_each_route_is_proxied_to_the_function_that_declares_it_with_parameters_validated(synthesized):
    aliases = alias_ids(synthesized)
    (validator_id, validator) = synthesized.only("AWS::ApiGateway::RequestValidator")
    assert validator["ValidateRequestParameters"] is True
    deployed = methods(synthesized)
    for spec in FUNCTIONS:
        for route in spec.routes:
            method = deployed[route.method, route.path]
            assert method["Integration"]["Type"] == "AWS_PROXY"
            assert {"Ref": aliases[spec.name]} in method["Integration"]["Uri"]["Fn::Join"][1]  # its alias
            assert method["OperationName"] == route.operation_id
            assert method["RequestValidatorId"] == {"Ref": validator_id}
            names = re.findall(r"{(\w+)}", route.path)
            assert method.get("RequestParameters", {}) == {f"method.request.path.{name}": True for name in names}


def test_each_function_is_arm64_python313_with_both_layers(synthesized):
    ids = function_ids(synthesized)
    assert len(synthesized.resources("AWS::Lambda::Function")) == len(FUNCTIONS) + CDK_HANDLERS
    layers = [{"Ref": layer_id} for layer_id in synthesized.properties("AWS::Lambda::LayerVersion")]
    assert len(layers) == 2
    log_groups = synthesized.properties("AWS::Logs::LogGroup")
    for spec in FUNCTIONS:
        function = synthesized.template["Resources"][ids[spec.name]]["Properties"]
        assert function["Runtime"] == "python3.13"
        assert function["Architectures"] == ["arm64"]
        assert function["Handler"] == "handler.handler"
        assert sorted(map(json.dumps, function["Layers"])) == sorted(map(json.dumps, layers))
        assert (function["MemorySize"], function["Timeout"]) == (spec.memory_mb, spec.timeout_s)
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert function["ReservedConcurrentExecutions"] == default_reservation(spec)  # test_snapstart.py
        assert function["LoggingConfig"]["LogGroup"]["Ref"] in log_groups
        environment = function["Environment"]["Variables"]
        assert environment["POWERTOOLS_SERVICE_NAME"] == "cis"
        assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "CIS"
        assert environment["CIS_DEFAULT_PHONE_REGION"] == "US"
        assert ("TABLE_NAME" in environment) == (spec.table_access != "none")


def test_code_and_layers_ship_from_their_folders_without_host_bytecode(synthesized):
    assets = json.loads((synthesized.outdir / "Cis.assets.json").read_text(encoding="utf-8"))["files"]

    def folder(code: dict) -> Path:
        digest = code["S3Key"].removesuffix(".zip")
        return synthesized.outdir / assets[digest]["source"]["path"]

    ids = function_ids(synthesized)
    shipped = [folder(synthesized.template["Resources"][ids[spec.name]]["Properties"]["Code"]) for spec in FUNCTIONS]
    assert all((path / "handler.py").is_file() for path in shipped)
    layers = [folder(layer["Content"]) for layer in synthesized.properties("AWS::Lambda::LayerVersion").values()]
    assert any((path / "python" / "cis" / "topology.py").is_file() for path in layers)
    assert any((path / "python" / "pydantic").is_dir() for path in layers)
    for path in shipped + layers:
        assert not list(path.rglob("__pycache__")), path
        assert not list(path.rglob(".installed")), path


def test_iam_per_function_is_least_privilege(synthesized):
    ids = function_ids(synthesized)
    (table_id, _) = synthesized.only("AWS::DynamoDB::Table")
    (key_id, _) = data_key(synthesized)
    (bus_id, _) = synthesized.only("AWS::Events::EventBus")
    table_resources = [arn(table_id), {"Fn::Join": ["", [arn(table_id), "/index/*"]]}]
    stream_arn = {"Fn::GetAtt": [table_id, "StreamArn"]}
    dead_letters = dead_letter_queues(synthesized)
    fed_from = {name: m["EventSourceArn"] for name, m in event_source_mappings(synthesized, stream=False).items()}
    on_failure = {  # function logical id -> where its failed asynchronous invocations go
        config["FunctionName"]["Ref"]: config["DestinationConfig"]["OnFailure"]["Destination"]
        for config in synthesized.properties("AWS::Lambda::EventInvokeConfig").values()
    }
    (identity_id, _) = synthesized.only("AWS::SES::EmailIdentity")
    (mac_key_id, _) = link_key(synthesized)
    for spec in FUNCTIONS:
        function = synthesized.template["Resources"][ids[spec.name]]["Properties"]
        role = synthesized.template["Resources"][function["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert "ManagedPolicyArns" not in role, spec.name  # no AWSLambdaBasicExecutionRole
        statements = role_statements(synthesized, ids[spec.name])
        # Besides the audit trail's (test_audit_trail.py), the one deny: SMS senders may publish to phone
        # numbers, never to an SNS topic or endpoint.
        denials = [s for s in statements if s["Effect"] == "Deny" and "dynamodb:LeadingKeys" not in str(s)]
        statements = [statement for statement in statements if statement["Effect"] == "Allow"]
        expected_denials = [("sns:Publish", "arn:*:sns:*:*:*")] if "sms" in spec.sends else []
        assert [(statement["Action"], statement["Resource"]) for statement in denials] == expected_denials

        actions = {action for statement in statements for action in as_list(statement["Action"])}
        dynamodb_actions = {action for action in actions if action.startswith("dynamodb:")}
        assert "dynamodb:*" not in actions
        for statement in statements:
            resources = as_list(statement["Resource"])
            statement_actions = set(as_list(statement["Action"]))
            kinds = {action.split(":")[0] for action in statement_actions}
            assert kinds <= {"logs", "xray", "dynamodb", "kms", "sqs", "events", "ses", "sns", "s3"}, statement
            if "*" in resources:
                # X-Ray has no resource-level permissions; nor has ListStreams, which a stream reader needs,
                # nor has an SMS to a phone number.
                wildcard_ok = (
                    kinds == {"xray"}
                    or (spec.reads_table_stream and statement_actions == {"dynamodb:ListStreams"})
                    or ("sms" in spec.sends and statement_actions == {"sns:Publish"})
                )
                assert wildcard_ok and resources == ["*"], statement
            elif kinds & {"dynamodb"}:
                assert kinds == {"dynamodb"}, statement
                if resources == [stream_arn]:
                    assert spec.reads_table_stream and statement_actions <= STREAM_ACTIONS, statement
                else:
                    assert all(r in table_resources for r in resources), statement
            if kinds & {"kms"} and resources == [arn(mac_key_id)]:  # unsubscribe links: sign or verify, not both
                assert statement_actions == {MAC_ACTIONS[spec.link_key]}, statement
            elif kinds & {"kms"}:
                assert kinds == {"kms"} and resources == [arn(key_id)], statement
                assert not statement_actions & set(MAC_ACTIONS.values()), statement
            if kinds & {"logs"}:
                assert resources == [arn(function["LoggingConfig"]["LogGroup"]["Ref"])], statement
            if kinds & {"sqs"}:  # its stream's or its job's dead-letter queue, or the queue that feeds it
                assert kinds == {"sqs"}, statement
                if spec.reads_table_stream:
                    assert resources == [arn(dead_letters[spec.name])], statement
                elif spec.schedule is not None:
                    assert resources == [on_failure[ids[spec.name]]], statement
                    assert statement_actions <= SEND_ACTIONS, statement
                elif spec.work is not None:  # fed by its work queue, and sends itself the parts through it
                    assert resources == [fed_from[spec.name]], statement
                    assert statement_actions <= CONSUME_ACTIONS | SEND_ACTIONS, statement
                else:
                    assert resources == [fed_from[spec.name]], statement
                    assert statement_actions <= CONSUME_ACTIONS, statement
            if kinds & {"s3"}:  # one action, on the upload prefix only: put (to sign upload URLs) or get
                (bucket_id, _) = synthesized.only("AWS::S3::Bucket")
                want = {"sign": "s3:PutObject", "read": "s3:GetObject"}[spec.uploads]
                assert statement_actions == {want}, statement
                assert resources == [{"Fn::Join": ["", [arn(bucket_id), "/uploads/*"]]}], statement
            if kinds & {"ses"}:  # email, from the configured sender's identity only
                assert "email" in spec.sends and statement_actions == {"ses:SendEmail"}, statement
                assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "reminders@example.com"}}
                assert len(resources) == 1 and identity_id in json.dumps(resources), statement
            if kinds & {"sns"}:
                assert "sms" in spec.sends, statement
            if kinds & {"events"}:
                assert statement_actions == {"events:PutEvents"} and resources == [arn(bus_id)], statement

        assert actions & set(MAC_ACTIONS.values()) == ({MAC_ACTIONS[spec.link_key]} - {None}), spec.name
        if spec.table_access == "none":
            assert not dynamodb_actions, spec.name
            assert not {action for action in actions if action.startswith("kms:")}, spec.name
        else:
            assert dynamodb_actions >= READ_ACTIONS, spec.name
            writes = dynamodb_actions & WRITE_ACTIONS
            assert writes == (WRITE_ACTIONS if spec.table_access == "read_write" else set()), spec.name


def test_only_functions_that_publish_events_may_put_events_on_the_bus(synthesized):
    ids = function_ids(synthesized)
    (bus_id, _) = synthesized.only("AWS::Events::EventBus")
    assert any(spec.publishes_events for spec in FUNCTIONS)  # otherwise this test proves nothing
    assert not synthesized.resources("AWS::Events::EventBusPolicy")  # no other account or service may put
    for spec in FUNCTIONS:
        puts = [
            statement
            for statement in role_statements(synthesized, ids[spec.name])
            if any(action.startswith("events:") for action in as_list(statement["Action"]))
        ]
        environment = synthesized.template["Resources"][ids[spec.name]]["Properties"]["Environment"]["Variables"]
        if spec.publishes_events:
            assert [(s["Action"], s["Resource"]) for s in puts] == [("events:PutEvents", arn(bus_id))], spec.name
            assert environment["EVENT_BUS_NAME"] == {"Ref": bus_id}, spec.name
        else:
            assert puts == [], spec.name
            assert "EVENT_BUS_NAME" not in environment, spec.name


def test_stream_readers_receive_only_the_entities_the_topology_names(synthesized):
    mappings = event_source_mappings(synthesized)
    for spec in STREAM_READERS:
        filters = mappings[spec.name].get("FilterCriteria", {}).get("Filters", [])
        if spec.stream_entities:
            [only] = filters
            assert json.loads(only["Pattern"]) == {
                "dynamodb": {"NewImage": {"entity": {"S": list(spec.stream_entities)}}}
            }
        else:
            assert filters == []


def test_stream_processor_reads_the_stream_with_partial_batch_failures_and_a_dead_letter_queue(synthesized):
    ids = function_ids(synthesized)
    (table_id, _) = synthesized.only("AWS::DynamoDB::Table")
    (key_id, _) = data_key(synthesized)
    mappings = event_source_mappings(synthesized)
    assert STREAM_READERS  # otherwise this test proves nothing
    assert set(mappings) == {spec.name for spec in STREAM_READERS}  # routes alone add no event source
    queues = synthesized.properties("AWS::SQS::Queue")
    tls_only = {
        policy["Queues"][0]["Ref"]: policy["PolicyDocument"]["Statement"]
        for policy in synthesized.properties("AWS::SQS::QueuePolicy").values()
    }
    for spec in STREAM_READERS:
        mapping = mappings[spec.name]
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["StartingPosition"] == "TRIM_HORIZON"
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["ParallelizationFactor"] == 1
        assert 0 < mapping["MaximumRetryAttempts"] <= 10
        assert 0 < mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600  # the stream keeps records 24 hours

        queue_id = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": arn(queue_id)}}
        assert queues[queue_id]["KmsMasterKeyId"] == arn(key_id)
        assert queues[queue_id]["MessageRetentionPeriod"] == 14 * 24 * 3600
        assert tls_only[queue_id] == [
            {
                "Action": "sqs:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Resource": arn(queue_id),
            }
        ]

        statements = role_statements(synthesized, ids[spec.name])
        granted = {
            (action, json.dumps(resource))
            for statement in statements
            for action in as_list(statement["Action"])
            for resource in as_list(statement["Resource"])
        }
        assert ("sqs:SendMessage", json.dumps(arn(queue_id))) in granted
        stream = json.dumps({"Fn::GetAtt": [table_id, "StreamArn"]})
        assert {(action, stream) for action in STREAM_ACTIONS} <= granted


def depth_alarms(stack: Synthesized, queue_id: str) -> list[dict]:
    return [
        alarm
        for alarm in stack.properties("AWS::CloudWatch::Alarm").values()
        if alarm.get("Dimensions") == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    ]


def test_every_dead_letter_queue_has_a_depth_alarm(synthesized):
    queues = synthesized.properties("AWS::SQS::Queue")
    targets = {json.dumps(q["RedrivePolicy"]["deadLetterTargetArn"]) for q in queues.values() if "RedrivePolicy" in q}
    fed = {json.dumps(m["EventSourceArn"]) for m in event_source_mappings(synthesized, stream=False).values()}
    assert len(dead_letter_queues(synthesized)) == len(STREAM_READERS) > 0
    assert QUEUE_FED and JOBS  # otherwise this test proves less than it says
    mappings = event_source_mappings(synthesized, stream=False)
    work_queues = {mappings[spec.name]["EventSourceArn"]["Fn::GetAtt"][0] for spec in WORK_FED}
    work_dead_letters = {queues[q]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] for q in work_queues}
    assert work_dead_letters
    for queue_id in queues:
        if json.dumps(arn(queue_id)) in fed:
            assert depth_alarms(synthesized, queue_id) == [], queue_id  # a working queue: its depth is normal
            continue
        # Every other queue is a dead-letter queue: of a stream source, a queue's redrive, a schedule or a rule;
        # the work queue's holds rows of uploaded files, kept no longer than the files.
        days = 7 if queue_id in work_dead_letters else 14
        assert queues[queue_id]["MessageRetentionPeriod"] == days * 24 * 3600, queue_id
        (alarm,) = depth_alarms(synthesized, queue_id)
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["Statistic"]) == (1, 1, "Maximum")
        assert alarm["TreatMissingData"] == "notBreaching"  # SQS reports nothing for a long-idle, empty queue
    assert len(queues) - len(fed) == len(STREAM_READERS) + len(QUEUE_FED) + len(WORK_FED) + len(JOBS)
    assert len(targets) == len(QUEUE_FED) + len(WORK_FED)


def test_each_job_runs_daily_on_its_cron_in_the_business_time_zone_with_retries_and_a_dead_letter_queue(
    synthesized,
):
    ids, aliases = function_ids(synthesized), alias_ids(synthesized)
    schedules = list(synthesized.properties("AWS::Scheduler::Schedule").values())
    assert len(schedules) == len(JOBS) > 0
    for spec in JOBS:
        (schedule,) = [s for s in schedules if s["Target"]["Arn"] == {"Ref": aliases[spec.name]}]
        assert schedule["ScheduleExpression"] == spec.schedule.cron
        assert re.fullmatch(r"cron\(\d{1,2} \d{1,2} \* \* \? \*\)", spec.schedule.cron)  # daily
        assert schedule["ScheduleExpressionTimezone"] == "UTC"  # cdk.json's businessTimeZone (tests: default)
        target = schedule["Target"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] == spec.schedule.retry_attempts
        assert json.loads(target["Input"]) == {
            "job": spec.schedule.job,
            "scheduled_time": "<aws.scheduler.scheduled-time>",
        }
        dead_letters = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        assert len(depth_alarms(synthesized, dead_letters)) == 1
        # The scheduler's role: invoke this function's alias, write its dead-letter queue (and use the key for it).
        role_id = target["RoleArn"]["Fn::GetAtt"][0]
        statements = [
            statement
            for policy in synthesized.properties("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Roles"]
            for statement in policy["PolicyDocument"]["Statement"]
        ]
        actions = {action for statement in statements for action in as_list(statement["Action"])}
        assert actions == {"lambda:InvokeFunction", "sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"}
        errors = [
            alarm
            for alarm in synthesized.properties("AWS::CloudWatch::Alarm").values()
            if alarm.get("MetricName") == "Errors"
            and alarm.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": ids[spec.name]}}]
        ]
        assert len(errors) == 1 and errors[0]["Threshold"] == 1


def test_a_job_start_that_fails_every_lambda_attempt_goes_to_the_jobs_dead_letter_queue(synthesized):
    ids, aliases = function_ids(synthesized), alias_ids(synthesized)
    configs = synthesized.properties("AWS::Lambda::EventInvokeConfig").values()
    schedules = synthesized.properties("AWS::Scheduler::Schedule").values()
    assert len(configs) == len(JOBS) > 0  # only the jobs are invoked asynchronously
    for spec in JOBS:
        (config,) = [c for c in configs if c["FunctionName"] == {"Ref": ids[spec.name]}]
        assert invoked(synthesized, config["Qualifier"]) == spec.name  # the alias the starts go through
        (schedule,) = [s for s in schedules if s["Target"]["Arn"] == {"Ref": aliases[spec.name]}]
        # The same queue the scheduler and the continuation rule use, so one alarm covers every failed start.
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == schedule["Target"]["DeadLetterConfig"]["Arn"]


def test_a_job_that_runs_out_of_time_is_started_again_by_its_continuation_rule(synthesized):
    aliases = alias_ids(synthesized)
    (bus_id, _) = synthesized.only("AWS::Events::EventBus")
    rules = synthesized.properties("AWS::Events::Rule").values()
    for spec in JOBS:
        (rule,) = [r for r in rules if r["Targets"][0]["Arn"] == {"Ref": aliases[spec.name]}]
        assert rule["EventBusName"] == {"Ref": bus_id}
        assert rule["EventPattern"] == {
            "source": ["cis.jobs"],
            "detail-type": ["job.continued"],
            "detail": {"job": [spec.schedule.job]},
        }
        assert (
            "DeadLetterConfig" in rule["Targets"][0] and rule["Targets"][0]["RetryPolicy"]["MaximumRetryAttempts"] > 0
        )


def test_queue_fed_functions_get_their_event_types_through_an_encrypted_queue_with_redrive(synthesized):
    (key_id, _) = data_key(synthesized)
    (bus_id, _) = synthesized.only("AWS::Events::EventBus")
    queues = synthesized.properties("AWS::SQS::Queue")
    rules = synthesized.properties("AWS::Events::Rule").values()
    mappings = event_source_mappings(synthesized, stream=False)
    assert set(mappings) == {spec.name for spec in QUEUE_FED + WORK_FED}
    for spec in QUEUE_FED:
        mapping = mappings[spec.name]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]  # only failed messages return
        assert mapping["BatchSize"] == spec.queue.batch_size
        queue_id = mapping["EventSourceArn"]["Fn::GetAtt"][0]
        queue = queues[queue_id]
        assert queue["KmsMasterKeyId"] == arn(key_id)
        assert queue["VisibilityTimeout"] == spec.queue.visibility_timeout_s >= spec.timeout_s
        assert queue["RedrivePolicy"]["maxReceiveCount"] == spec.queue.max_receive_count
        (rule,) = [r for r in rules if r["Targets"][0]["Arn"] == arn(queue_id)]
        assert rule["EventBusName"] == {"Ref": bus_id}
        assert rule["EventPattern"] == {"source": ["cis"], "detail-type": list(spec.queue.detail_types)}


def test_uploaded_files_reach_the_import_worker_through_an_encrypted_queue_only_the_bucket_may_fill(synthesized):
    (key_id, _) = data_key(synthesized)
    (bucket_id, bucket) = synthesized.only("AWS::S3::Bucket")
    assert WORK_FED
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn(key_id)}
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert bucket["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 7  # files hold personal data
    (notification,) = synthesized.properties("Custom::S3BucketNotifications").values()
    (target,) = notification["NotificationConfiguration"]["QueueConfigurations"]
    assert target["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}
    queues = synthesized.properties("AWS::SQS::Queue")
    mappings = event_source_mappings(synthesized, stream=False)
    for spec in WORK_FED:
        mapping = mappings[spec.name]
        assert target["QueueArn"] == mapping["EventSourceArn"]
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert (mapping["BatchSize"], mapping["ScalingConfig"]) == (
            spec.work.batch_size,
            {"MaximumConcurrency": spec.work.max_concurrency},
        )
        queue = queues[mapping["EventSourceArn"]["Fn::GetAtt"][0]]
        assert queue["KmsMasterKeyId"] == arn(key_id)
        assert queue["VisibilityTimeout"] == spec.work.visibility_timeout_s >= spec.timeout_s
        assert queue["RedrivePolicy"]["maxReceiveCount"] == spec.work.max_receive_count
    # Only S3, for this bucket, may send to the queue.
    policies = [p for p in synthesized.properties("AWS::SQS::QueuePolicy").values() if "s3.amazonaws" in json.dumps(p)]
    (statement,) = [s for p in policies for s in p["PolicyDocument"]["Statement"] if "s3.amazonaws" in json.dumps(s)]
    assert statement["Condition"] == {"ArnLike": {"aws:SourceArn": arn(bucket_id)}}


def test_events_the_bus_cannot_deliver_to_a_queue_go_to_that_queues_dead_letter_queue(synthesized):
    queues = synthesized.properties("AWS::SQS::Queue")
    rules = synthesized.properties("AWS::Events::Rule").values()
    for spec in QUEUE_FED:
        queue_id = event_source_mappings(synthesized, stream=False)[spec.name]["EventSourceArn"]["Fn::GetAtt"][0]
        (rule,) = [r for r in rules if r["Targets"][0]["Arn"] == arn(queue_id)]
        dead_letters = queues[queue_id]["RedrivePolicy"]["deadLetterTargetArn"]
        assert rule["Targets"][0]["DeadLetterConfig"] == {"Arn": dead_letters}
        assert rule["Targets"][0]["RetryPolicy"]["MaximumEventAgeInSeconds"] == 24 * 3600


def test_email_goes_out_from_the_configured_sender_identity(synthesized):
    (_, identity) = synthesized.only("AWS::SES::EmailIdentity")
    assert identity["EmailIdentity"] == "reminders@example.com"


def test_staff_user_pool_has_one_group_per_role_and_the_customer_pool_none(synthesized):
    pool_id, _ = user_pools(synthesized)
    groups = synthesized.properties("AWS::Cognito::UserPoolGroup").values()
    assert sorted(group["GroupName"] for group in groups) == sorted(role.value for role in Role)
    assert all(group["UserPoolId"] == {"Ref": pool_id} for group in groups)


def test_staff_sign_in_is_admin_created_with_mfa_strong_passwords_and_threat_protection(synthesized):
    template = Template.from_json(synthesized.template)
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "MfaConfiguration": "ON",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "Policies": {
                "PasswordPolicy": Match.object_like(
                    {"MinimumLength": 12, "RequireSymbols": True, "RequireNumbers": True, "RequireUppercase": True}
                )
            },
            "UserPoolTier": "PLUS",
            "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
        },
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": False,
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AllowedOAuthFlowsUserPoolClient": False,
        },
    )


def test_gateway_responses_use_the_common_error_shape(synthesized):
    responses = {r["ResponseType"]: r for r in synthesized.properties("AWS::ApiGateway::GatewayResponse").values()}
    assert set(responses) == set(GATEWAY_RESPONSES) | {"DEFAULT_4XX", "DEFAULT_5XX"}
    for kind, response in responses.items():
        assert response["ResponseParameters"] == {"gatewayresponse.header.Content-Type": "'application/json'"}
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}, kind
        assert body["error"]["fields"] == []
        if kind in GATEWAY_RESPONSES:
            status, code, message = GATEWAY_RESPONSES[kind]
            assert response["StatusCode"] == str(status)
            assert (body["error"]["code"], body["error"]["message"]) == (code, message)
        else:
            assert "StatusCode" not in response  # API Gateway's own 4xx/5xx status is kept


def test_a_gateway_response_body_that_vtl_would_rewrite_is_refused():
    with pytest.raises(ValueError, match="VTL"):
        vtl_literal('{"message": "costs $5"}')


def test_stage_logs_access_as_json_and_errors_without_bodies_and_throttles(synthesized):
    (key_id, _) = data_key(synthesized)
    (_, stage) = synthesized.only("AWS::ApiGateway::Stage")
    assert stage["StageName"] == "prod"
    assert stage["TracingEnabled"] is True
    access_log = json.loads(stage["AccessLogSetting"]["Format"])
    assert {"requestId", "ip", "requestTime", "httpMethod", "resourcePath", "status", "protocol"} <= set(access_log)
    assert stage["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0] in synthesized.resources("AWS::Logs::LogGroup")
    (settings,) = stage["MethodSettings"]
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False  # bodies carry personal data
    assert settings["MetricsEnabled"] is True
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (100, 200)
    for log_group in synthesized.properties("AWS::Logs::LogGroup").values():
        assert log_group["KmsKeyId"] == arn(key_id)
        assert log_group["RetentionInDays"] == 30


def test_outputs_name_the_api_user_pools_clients_table_event_bus_and_backups(synthesized):
    outputs = synthesized.template["Outputs"]
    assert set(outputs) == {
        "ApiUrl",
        "UserPoolId",
        "UserPoolClientId",
        "CustomerUserPoolId",  # and the customer apps' client ids and their sign-in (hosted UI) domain
        "CustomerWebClientId",
        "CustomerMobileClientId",
        "CustomerSignInUrl",
        "TableName",
        "EventBusName",
        "BackupVaultName",  # and the role AWS Backup restores with: `cis restore --help` names both
        "BackupRoleArn",
    }
    (bus_id, _) = synthesized.only("AWS::Events::EventBus")
    assert outputs["EventBusName"]["Value"] == {"Ref": bus_id}


def test_default_phone_region_is_a_context_value():
    assert default_phone_region(App()) == "US"
    assert default_phone_region(App(context={"defaultPhoneRegion": "gb"})) == "GB"
    with pytest.raises(ValueError, match="defaultPhoneRegion"):
        default_phone_region(App(context={"defaultPhoneRegion": "Britain"}))


def test_cdk_nag_reports_no_unsuppressed_findings(synthesized):
    assert findings(synthesized.outdir) == []
    assert synthesized.synth_error is None


def test_cdk_nag_checks_the_app_with_the_aws_solutions_and_serverless_packs(synthesized):
    report = json.loads((synthesized.outdir / "validation-report.json").read_text(encoding="utf-8"))
    conclusions = {plugin["pluginName"]: plugin["conclusion"] for plugin in report["pluginReports"]}
    assert conclusions == {"AwsSolutions": "success", "Serverless": "success"}


def test_the_nag_check_sees_errors_and_warnings_and_honours_acknowledgements(tmp_path):
    """Guards the tests above: the same attachment and report reader do catch findings of both severities,
    from both packs."""
    app = attach_nag(App(outdir=str(tmp_path)))
    stack = Stack(app, "Bad")
    queue = sqs.Queue(stack, "Queue")  # no DLQ (SQS3), no TLS-only policy (SQS4): errors
    acknowledge(queue, "SQS3", "test: an acknowledged finding is not reported")
    dynamodb.Table(  # no point-in-time recovery (DDB3): a warning, which does not fail synth on its own
        stack, "Table", partition_key=dynamodb.Attribute(name="PK", type=dynamodb.AttributeType.STRING)
    )
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    reported = findings(tmp_path)
    assert any(line.startswith("error AwsSolutions-SQS4 at Bad/Queue/") for line in reported), reported
    assert any(line.startswith("warning AwsSolutions-DDB3 at Bad/Table/") for line in reported), reported
    assert any(line.startswith("error Serverless-SQSRedrivePolicy at Bad/Queue/") for line in reported), reported
    assert not any("SQS3" in line for line in reported), reported


def cfn_lint(template: Path) -> list[str]:
    """cfn-lint's findings (errors and warnings) in one template, with the repository's .cfnlintrc."""
    config = ManualArgs(config_file=str(ROOT / ".cfnlintrc"))
    return [f"{m.rule.id} {m.message} ({m.path_string})" for m in lint_file(template, config=config)]


def test_cfn_lint_finds_nothing_in_the_synthesized_templates(synthesized):
    templates = sorted(synthesized.outdir.glob("*.template.json"))
    assert templates
    found = [f"{template.name}: {line}" for template in templates for line in cfn_lint(template)]
    assert not found, "cfn-lint reports:\n" + "\n".join(found)


def test_the_cfn_lint_check_sees_findings(tmp_path):
    """Guards the test above: with the same configuration, cfn-lint reports errors and warnings."""
    template = tmp_path / "Bad.template.json"
    function = {"Runtime": "python3.13", "Handler": "handler.handler", "Code": {"ZipFile": "x"}}  # no Role
    template.write_text(
        json.dumps(
            {
                "Parameters": {"Unused": {"Type": "String"}},
                "Resources": {"Fn": {"Type": "AWS::Lambda::Function", "Properties": function}},
            }
        )
    )
    reported = cfn_lint(template)
    assert any(line.startswith("E3003 ") for line in reported), reported  # Role is required
    assert any(line.startswith("W2001 ") for line in reported), reported  # a parameter nothing uses


def test_reminder_lead_times_and_the_business_time_zone_are_checked_context_values():
    env = settings_environment(
        App(context={"reminderLeadDays": {"*": [30, 15, 1]}, "businessTimeZone": "Europe/Berlin"})
    )
    assert (env["CIS_REMINDER_LEAD_DAYS"], env["CIS_BUSINESS_TIME_ZONE"]) == ('{"*":[30,15,1]}', "Europe/Berlin")
    with pytest.raises(ValueError, match="default under"):
        settings_environment(App(context={"reminderLeadDays": {"gym": [7]}}))
    with pytest.raises(Exception, match="Mars"):
        settings_environment(App(context={"businessTimeZone": "Mars/Olympus"}))


def test_the_sender_address_is_a_checked_context_value():
    assert settings_environment(App(context={"senderEmail": "Hello@Gym.example"}))["CIS_SENDER_EMAIL"] == (
        "Hello@gym.example"
    )
    with pytest.raises(ValueError, match="senderEmail"):
        settings_environment(App(context={"senderEmail": "not an address"}))


def test_churn_rules_are_a_checked_context_value_every_function_reads():
    env = settings_environment(App(context={"churnRules": {"high_at": 70, "inactive": {"weight": 40}}}))
    rules = json.loads(env["CIS_CHURN_RULES"])
    assert (rules["high_at"], rules["inactive"]["weight"], rules["thresholds_days"]) == (70, 40, [14, 30, 60])
    with pytest.raises(ValueError, match=r"(?s)churnRules.*inactive.weight"):
        settings_environment(App(context={"churnRules": {"inactive": {"weight": 500}}}))
    with pytest.raises(ValueError, match="churnRules"):
        settings_environment(App(context={"churnRules": {"thresholds_days": [30, 14]}}))


def test_the_synth_refuses_a_wrong_retention_and_passes_a_right_one_to_every_function():
    from cis.domain.retention import parse_retention

    env = settings_environment(App(context={"retention": {"activities_days": 90}}))
    assert parse_retention(env["CIS_RETENTION"]).activities_days == 90
    with pytest.raises(ValueError, match=r"(?s)retention.*activities_days"):
        settings_environment(App(context={"retention": {"activities_days": -1}}))
