"""No cold start compiles the project: every function runs a published version, restored from a
SnapStart snapshot, and nothing invokes it but through its alias. Provisioned concurrency is the
alternative on a function without SnapStart; reserved concurrency keeps the stream processor, the
jobs and the notifier running whatever the API does, and caps each API function (README,
"Cold starts and concurrency")."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App
from cis.topology import FUNCTIONS
from cis_infra.build import STACK_NAME, build_app
from cis_infra.nag import findings
from cis_infra.startup import ALIAS, UNRESERVED_MINIMUM, Startup, startup_plan

from .conftest import Synthesized, alias_ids, function_ids, invoked, references

pytestmark = pytest.mark.slow

NAMES = [spec.name for spec in FUNCTIONS]
API = [spec.name for spec in FUNCTIONS if spec.routes]
# The documented reservations: each staff API function capped at 20, the customers' (me_api) at 10, the
# one-click unsubscribe (unsubscribe_api) at 5; the stream processor (10), each job (2), the notifier (5),
# the import worker (10, its queue's maximum concurrency) and the customer pool's sign-up trigger (2)
# guaranteed theirs.
RESERVED = {name: 20 for name in API} | {
    "me_api": 10,
    "unsubscribe_api": 5,
    "customer_signup": 2,
    "stream_processor": 10,
    "renewal_reminders": 2,
    "churn_check": 2,
    "retention": 2,
    "notifier": 5,
    "import_worker": 10,
}


def test_the_documented_reservations_cover_every_function_and_leave_the_account_its_unreserved_minimum():
    assert set(RESERVED) == set(NAMES) and len(API) == 8
    assert sum(RESERVED.values()) == 168 <= 1000 - UNRESERVED_MINIMUM


def versions_and_aliases(stack: Synthesized) -> tuple[dict[str, tuple[str, dict]], dict[str, dict]]:
    """Function name -> (its one version's logical id, that version's resource); -> its one alias's properties."""
    names = {logical_id: name for name, logical_id in function_ids(stack).items()}
    versions: dict[str, list] = {name: [] for name in names.values()}
    for logical_id, resource in stack.resources("AWS::Lambda::Version").items():
        versions[names[resource["Properties"]["FunctionName"]["Ref"]]].append((logical_id, resource))
    aliases = {name: stack.properties("AWS::Lambda::Alias")[alias] for name, alias in alias_ids(stack).items()}
    assert all(len(found) == 1 for found in versions.values()), versions
    assert len(stack.resources("AWS::Lambda::Alias")) == len(NAMES)
    return {name: found[0] for name, found in versions.items()}, aliases


def test_every_function_starts_from_a_snapstart_snapshot_of_a_published_version_behind_its_alias(synthesized):
    ids = function_ids(synthesized)
    versions, aliases = versions_and_aliases(synthesized)
    for name in NAMES:
        function = synthesized.template["Resources"][ids[name]]["Properties"]
        assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"}, name
        version_id, version = versions[name]
        # The version a deploy replaces is deleted: a SnapStart version's cached snapshot is charged while it exists.
        assert (version["DeletionPolicy"], version["UpdateReplacePolicy"]) == ("Delete", "Delete"), name
        alias = aliases[name]
        assert alias["Name"] == ALIAS
        assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}, name
        assert "ProvisionedConcurrencyConfig" not in alias, name  # Lambda refuses it with SnapStart
        assert "RoutingConfig" not in alias, name  # all of it to that one version


def only_aliases_are_invoked(synthesized: Synthesized) -> None:
    """The unpublished function ($LATEST) would initialize, importing and compiling the project, on a cold start:
    no permission, mapping, target, integration or grant names it. Only its version and alias, its alias's
    asynchronous-invocation settings and its metrics (every version's) refer to it."""
    ids, aliases = function_ids(synthesized), alias_ids(synthesized)
    functions = set(ids.values())
    resources = synthesized.template["Resources"]
    for logical_id, resource in resources.items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if not references(resource) & functions:
            continue
        if kind in ("AWS::Lambda::Version", "AWS::Lambda::Alias"):
            assert references(properties) & functions == {properties["FunctionName"]["Ref"]}
        elif kind == "AWS::Lambda::EventInvokeConfig":
            name = invoked(synthesized, properties["Qualifier"])  # settings of the alias, not of $LATEST
            assert properties["FunctionName"] == {"Ref": ids[name]}
        elif kind == "AWS::CloudWatch::Alarm":  # a job's errors: the FunctionName dimension
            assert references(properties) & functions <= references(properties["Dimensions"]), logical_id
        else:
            pytest.fail(f"{logical_id} ({kind}) names a function, not its alias: {json.dumps(properties)[:300]}")
    assert not references(synthesized.template.get("Outputs", {})) & functions

    for permission in synthesized.properties("AWS::Lambda::Permission").values():
        assert permission["Action"] == "lambda:InvokeFunction"
        assert permission["FunctionName"]["Ref"] in aliases.values(), permission
    mappings = synthesized.properties("AWS::Lambda::EventSourceMapping").values()
    fed = {spec.name for spec in FUNCTIONS if spec.reads_table_stream or spec.queue is not None or spec.work}
    assert sorted(invoked(synthesized, mapping["FunctionName"]) for mapping in mappings) == sorted(fed)
    for mapping in mappings:
        assert mapping["FunctionName"]["Fn::Join"][1][-1] == f":{ALIAS}"  # <function name>:live
    for schedule in synthesized.properties("AWS::Scheduler::Schedule").values():
        assert schedule["Target"]["Arn"]["Ref"] in aliases.values()
    for rule in synthesized.properties("AWS::Events::Rule").values():
        for target in rule["Targets"]:
            if "Fn::GetAtt" not in target["Arn"]:  # a queue's ARN is an attribute; an alias's is its Ref
                assert target["Arn"]["Ref"] in aliases.values()
    for policy in synthesized.properties("AWS::IAM::Policy").values():
        for statement in policy["PolicyDocument"]["Statement"]:
            if "lambda:InvokeFunction" in json.dumps(statement["Action"]):
                assert references(statement["Resource"]) <= set(aliases.values()), statement
                assert ":*" not in json.dumps(statement["Resource"]), statement  # no other version


def test_nothing_invokes_a_function_other_than_through_its_alias(synthesized):
    only_aliases_are_invoked(synthesized)


def gateway_invokes_aliases(synthesized: Synthesized) -> None:
    aliases = alias_ids(synthesized)
    by_alias = {alias: name for name, alias in aliases.items()}
    integrations = [
        method["Integration"]
        for method in synthesized.properties("AWS::ApiGateway::Method").values()
        if "Integration" in method
    ]
    assert len(integrations) == sum(len(spec.routes) for spec in FUNCTIONS)
    for integration in integrations:
        assert integration["Type"] == "AWS_PROXY"
        assert integration["IntegrationHttpMethod"] == "POST"
        (alias,) = references(integration["Uri"]) & set(by_alias)
        parts = integration["Uri"]["Fn::Join"][1]
        assert parts[-1] == "/invocations" and {"Ref": alias} in parts  # .../functions/<alias ARN>/invocations

    from_gateway = [
        permission
        for permission in synthesized.properties("AWS::Lambda::Permission").values()
        if permission["Principal"] == "apigateway.amazonaws.com"
    ]
    for spec in FUNCTIONS:
        on_alias = [p for p in from_gateway if p["FunctionName"] == {"Ref": aliases[spec.name]}]
        assert len(on_alias) == len(spec.routes), spec.name  # one per method: no test-invoke permission


def test_api_gateway_integrations_target_the_alias_and_are_permitted_on_it_alone(synthesized):
    gateway_invokes_aliases(synthesized)


def test_reserved_concurrency_is_what_the_readme_documents(synthesized):
    ids = function_ids(synthesized)
    for name in NAMES:
        function = synthesized.template["Resources"][ids[name]]["Properties"]
        assert function["ReservedConcurrentExecutions"] == RESERVED[name], name


# Context, read and checked before anything is built.


def plan(**context) -> dict[str, Startup]:
    return startup_plan(App(context=context))


def test_by_default_every_function_has_snapstart_no_provisioned_concurrency_and_the_documented_reservations():
    assert plan() == {name: Startup(True, None, RESERVED[name]) for name in NAMES}
    assert plan(snapStart=True, provisionedConcurrency={}, reservedConcurrency={}) == plan()


def test_snapstart_can_be_turned_off_or_limited_to_named_functions_also_from_the_command_line():
    assert not any(startup.snap_start for startup in plan(snapStart=False).values())
    assert not any(startup.snap_start for startup in plan(snapStart="false").values())  # -c snapStart=false
    chosen = plan(snapStart='["customers_api", "notifier"]')
    assert {name for name, startup in chosen.items() if startup.snap_start} == {"customers_api", "notifier"}
    with pytest.raises(ValueError, match=r"snapStart names functions the topology does not declare: \['nobody'\]"):
        plan(snapStart=["nobody"])
    with pytest.raises(ValueError, match="snapStart must be"):
        plan(snapStart={"customers_api": True})


def test_snapstart_and_provisioned_concurrency_on_one_function_are_refused():
    with pytest.raises(ValueError, match=r"customers_api: SnapStart and provisioned concurrency exclude each other"):
        plan(provisionedConcurrency={"customers_api": 2})
    with pytest.raises(ValueError, match="exclude each other"):
        plan(snapStart=["customers_api"], provisionedConcurrency={"customers_api": 2})
    with pytest.raises(ValueError, match="exclude each other"):  # the synth itself, before anything is built
        build_app(context={"provisionedConcurrency": {"customers_api": 2}})
    others = [name for name in NAMES if name != "customers_api"]
    mixed = plan(snapStart=others, provisionedConcurrency={"customers_api": 2})
    assert mixed["customers_api"] == Startup(False, 2, 20)
    assert all(mixed[name].snap_start and mixed[name].provisioned is None for name in others)


def test_reservations_override_the_defaults_and_are_checked():
    changed = plan(reservedConcurrency={"notifier": 3, "api_docs": False})
    assert {name: changed[name].reserved for name in ("notifier", "api_docs", "stream_processor")} == {
        "notifier": 3,
        "api_docs": None,
        "stream_processor": 10,
    }
    assert all(startup.reserved is None for startup in plan(reservedConcurrency="false").values())
    for wrong in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="reservedConcurrency: notifier must be a whole number"):
            plan(reservedConcurrency={"notifier": wrong})
    with pytest.raises(ValueError, match="reservedConcurrency names functions"):
        plan(reservedConcurrency={"customer_api": 5})
    with pytest.raises(ValueError, match=r"exceed its reserved concurrency \(20\)"):
        plan(snapStart=False, provisionedConcurrency={"customers_api": 21})
    uncapped = plan(
        snapStart=False, provisionedConcurrency={"customers_api": 21}, reservedConcurrency={"customers_api": False}
    )
    assert uncapped["customers_api"] == Startup(False, 21, None)


def test_reservations_must_leave_the_account_its_unreserved_minimum():
    assert plan(accountConcurrency=268)  # 168 reserved + 100 unreserved
    with pytest.raises(ValueError, match=r"reserves 168 of the account's 267 .* at most 167 can be reserved"):
        plan(accountConcurrency=267)
    assert plan(accountConcurrency=10, reservedConcurrency=False)  # a new account's quota: no reservations
    with pytest.raises(ValueError, match="accountConcurrency must be the account's concurrency quota"):
        plan(accountConcurrency=0)
    with pytest.raises(ValueError, match="accountConcurrency is not JSON"):
        plan(accountConcurrency="lots")


def test_without_snapstart_provisioned_concurrency_goes_on_the_alias_and_invokers_still_use_it(tmp_path):
    build_app(
        outdir=str(tmp_path), context={"snapStart": False, "provisionedConcurrency": {"customers_api": 2}}
    ).synth()
    assert findings(tmp_path) == []  # cdk-nag has nothing to say about this variant either
    stack = Synthesized(tmp_path, json.loads((tmp_path / f"{STACK_NAME}.template.json").read_text()), None)
    ids = function_ids(stack)
    _, aliases = versions_and_aliases(stack)
    for name in NAMES:
        assert "SnapStart" not in stack.template["Resources"][ids[name]]["Properties"], name
        expected = {"ProvisionedConcurrentExecutions": 2} if name == "customers_api" else None
        assert aliases[name].get("ProvisionedConcurrencyConfig") == expected, name
    only_aliases_are_invoked(stack)
    gateway_invokes_aliases(stack)
